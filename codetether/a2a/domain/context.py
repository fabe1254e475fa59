"""Who is calling, and over what: the context every A2A handler method receives from its adapter.

Adapters build one per request (the principal from authentication, the spec version from the
``A2A-Version`` header or the gRPC service, the transport) and bind it to the handler; the handler
scopes tasks and push configs by ``principal`` and tells executors who asked.
"""

from typing import Literal

import msgspec

from ...security.principal import LOCAL, Principal

Transport = Literal["jsonrpc", "rest", "grpc", "local"]


class CallContext(msgspec.Struct, frozen=True, kw_only=True):
    principal: Principal
    version: str = "1.0"
    transport: Transport = "local"


# In-process calls (tests, the server's own tools) act as the local admin.
LOCAL_CALL = CallContext(principal=LOCAL)
