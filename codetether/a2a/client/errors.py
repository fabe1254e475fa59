"""What the A2A client raises, and how it reads a peer's failure in each transport's terms.

Protocol failures come back as the matching :class:`~codetether.a2a.domain.errors.A2AError` subclass,
whatever the transport: a JSON-RPC error code, a gRPC ``ErrorInfo`` reason (spec 1.0), or the
``"<ErrorKind>: message"`` text of a 0.3 gRPC status. Failures before the protocol is reached
(unreachable peer, refused token, a reply that is not A2A) are :class:`A2AClientError`\\ s whose
message names the URL and says what to do, so a CLI can print them as one line.
"""

import os
from typing import Any

from ...errors import CodetetherError
from ..domain import errors

TOKEN_ENV = ("CODETETHER_A2A_TOKEN", "CODETETHER_AUTH_TOKEN")


class A2AClientError(CodetetherError):
    """The peer could not be used: unreachable, unexpected HTTP status, not an A2A agent, no fitting interface."""


class A2AConnectionError(A2AClientError):
    """The peer did not answer: connection refused, name not resolved, timed out, or dropped mid-call."""


class A2AAuthError(A2AClientError):
    """The peer refused the bearer token (or its absence)."""

    exit_code = 4


def resolve_token(token: str | None) -> tuple[str | None, str]:
    """The token to send and where it came from (for error messages): ``token`` itself when given
    (``""`` sends none), else ``CODETETHER_A2A_TOKEN``, then ``CODETETHER_AUTH_TOKEN``."""
    if token is not None:
        return (token.strip() or None), "the token given"
    for name in TOKEN_ENV:
        value = os.environ.get(name, "").strip()
        if value:
            return value, f"the token from {name}"
    return None, ""


def auth_error(where: str, source: str, detail: str = "") -> A2AAuthError:
    said = f" ({detail})" if detail else ""
    if source:
        message = f"the agent at {where} refused {source} as its bearer token{said}"
    else:
        message = f"the agent at {where} wants a bearer token and none was sent{said}"
    return A2AAuthError(
        message,
        "pass --token, or set CODETETHER_A2A_TOKEN; a `codetether serve` peer's token is its "
        "CODETETHER_AUTH_TOKEN, or the generated one in the auth-token file it names when it starts",
    )


# -- protocol errors --------------------------------------------------------------------------------

_BY_KIND: dict[str, type[errors.A2AError]] = {cls.kind: cls for cls in errors.A2AError.__subclasses__()}
_BY_REASON: dict[str, type[errors.A2AError]] = {
    # the generic errors have no reason in our table, but the a2a-sdk sends one for them too
    "INVALID_PARAMS": errors.InvalidParamsError,
    "INVALID_REQUEST": errors.InvalidRequestError,
    "METHOD_NOT_FOUND": errors.MethodNotFoundError,
    "INTERNAL_ERROR": errors.InternalError,
    **{errors.TABLE[kind].reason: cls for kind, cls in _BY_KIND.items() if errors.TABLE[kind].reason},
}
# A gRPC status with no detail to go by (another implementation, or a 0.3 text without a known kind).
_BY_GRPC_STATUS: dict[str, type[errors.A2AError]] = {
    "NOT_FOUND": errors.TaskNotFoundError,
    "UNIMPLEMENTED": errors.MethodNotFoundError,
    "INVALID_ARGUMENT": errors.InvalidParamsError,
    "FAILED_PRECONDITION": errors.UnsupportedOperationError,
    "RESOURCE_EXHAUSTED": errors.PayloadTooLargeError,
}


def error_info(details: Any) -> dict[str, Any] | None:
    """The ``google.rpc.ErrorInfo`` entry among a JSON-RPC error's ``data`` (spec 1.0), if any."""
    if isinstance(details, list):
        for entry in details:
            if isinstance(entry, dict) and entry.get("@type") == errors.ERROR_INFO_TYPE:
                return entry
    return None


def from_jsonrpc(error: dict[str, Any]) -> errors.A2AError:
    """A JSON-RPC ``error`` object as the matching A2AError (by code; ErrorInfo metadata kept)."""
    code = error.get("code")
    message = str(error.get("message") or "")
    exc = errors.from_code(code if isinstance(code, int) else -32603, message or f"JSON-RPC error {code}")
    info = error_info(error.get("data"))
    if info is not None and isinstance(info.get("metadata"), dict):
        exc.metadata = {str(k): str(v) for k, v in info["metadata"].items()}
    return exc


def from_grpc(status: str, message: str, reason: str = "", metadata: dict[str, str] | None = None) -> errors.A2AError:
    """A gRPC status as an A2AError: by ErrorInfo ``reason`` (1.0), else by a ``"Kind: text"`` prefix
    (0.3), else by the status code alone."""
    if reason in _BY_REASON:
        return _BY_REASON[reason](message or None, metadata=metadata)
    kind, sep, rest = message.partition(": ")
    if sep and kind in _BY_KIND:
        return _BY_KIND[kind](rest or None, metadata=metadata)
    return _BY_GRPC_STATUS.get(status, errors.InternalError)(message or f"gRPC status {status}", metadata=metadata)
