"""Agent-to-Agent (A2A) protocol: request handling, tasks, client and worker (spec 1.0 and 0.3).

Four layers: ``domain`` (the task model, store, errors, executor contract, versions), ``wire`` (the
encodings: spec 0.3 JSON, both protobuf packages, ProtoJSON field names), ``server`` (the
transport-neutral request handler and what it drives) and ``client`` (talking to a peer).

Names are re-exported lazily (PEP 562): importing the package, or one light module of it, does not
load aiohttp, grpc or the generated protobuf stubs.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "A2AClient": ".client.client",
    "A2AError": ".domain.errors",
    "AgentCard": ".domain.types",
    "EchoExecutor": ".domain.executor",
    "Executor": ".domain.executor",
    "Message": ".domain.types",
    "Part": ".domain.types",
    "RequestContext": ".domain.executor",
    "RequestHandler": ".server.handler",
    "SQLiteTaskStore": ".domain.store",
    "StreamResponse": ".domain.types",
    "Task": ".domain.types",
    "TaskState": ".domain.types",
    "TaskStore": ".domain.store",
    "TaskUpdater": ".domain.executor",
}

__all__ = [
    "A2AClient",
    "A2AError",
    "AgentCard",
    "EchoExecutor",
    "Executor",
    "Message",
    "Part",
    "RequestContext",
    "RequestHandler",
    "SQLiteTaskStore",
    "StreamResponse",
    "Task",
    "TaskState",
    "TaskStore",
    "TaskUpdater",
]

if TYPE_CHECKING:
    from .client.client import A2AClient
    from .domain.errors import A2AError
    from .domain.executor import EchoExecutor, Executor, RequestContext, TaskUpdater
    from .domain.store import SQLiteTaskStore, TaskStore
    from .domain.types import AgentCard, Message, Part, StreamResponse, Task, TaskState
    from .server.handler import RequestHandler

__getattr__ = lazy_exports(__name__, _EXPORTS)
