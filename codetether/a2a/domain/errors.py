"""A2A errors and the one table that maps each to JSON-RPC, HTTP and gRPC (spec 1.0 §5.4, §9.5).

The handler raises these; every transport adapter turns one into its own representation through
:data:`TABLE`, so a new error is added in exactly one place.
"""

from typing import Any, NamedTuple

from ...errors import CodetetherError

DOMAIN = "a2a-protocol.org"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"


class Mapping(NamedTuple):
    jsonrpc: int
    http: int
    grpc: str  # grpc.StatusCode member name; kept a string so this module never imports grpc
    reason: str  # google.rpc.ErrorInfo reason; "" for the generic JSON-RPC errors


class A2AError(CodetetherError):
    """Base of every error a client of the A2A endpoints can receive."""

    kind = "InternalError"
    default_message = "Internal error"

    def __init__(self, message: str | None = None, *, metadata: dict[str, str] | None = None) -> None:
        super().__init__(message or self.default_message)
        self.metadata = metadata or {}

    @property
    def mapping(self) -> Mapping:
        return TABLE[self.kind]

    def details(self) -> list[dict[str, Any]]:
        """The ``google.rpc.ErrorInfo`` detail the spec asks for on A2A-specific errors."""
        if not self.mapping.reason:
            return []
        return [{"@type": ERROR_INFO_TYPE, "reason": self.mapping.reason, "domain": DOMAIN, "metadata": self.metadata}]


def _error(kind: str, message: str) -> type[A2AError]:
    return type(kind, (A2AError,), {"kind": kind, "default_message": message, "__doc__": message + "."})


JSONParseError = _error("JSONParseError", "Invalid JSON payload")
InvalidRequestError = _error("InvalidRequestError", "Request payload validation error")
MethodNotFoundError = _error("MethodNotFoundError", "Method not found")
InvalidParamsError = _error("InvalidParamsError", "Invalid parameters")
InternalError = _error("InternalError", "Internal error")
TaskNotFoundError = _error("TaskNotFoundError", "Task not found")
TaskNotCancelableError = _error("TaskNotCancelableError", "Task cannot be canceled")
PushNotificationNotSupportedError = _error("PushNotificationNotSupportedError", "Push notifications are not supported")
UnsupportedOperationError = _error("UnsupportedOperationError", "This operation is not supported")
ContentTypeNotSupportedError = _error("ContentTypeNotSupportedError", "Incompatible content types")
InvalidAgentResponseError = _error("InvalidAgentResponseError", "Invalid agent response")
ExtendedAgentCardNotConfiguredError = _error(
    "ExtendedAgentCardNotConfiguredError", "The extended agent card is not configured"
)
ExtensionSupportRequiredError = _error("ExtensionSupportRequiredError", "A required extension is not supported")
VersionNotSupportedError = _error("VersionNotSupportedError", "This A2A protocol version is not supported")
PayloadTooLargeError = _error("PayloadTooLargeError", "Request body is too large")

TABLE: dict[str, Mapping] = {
    "JSONParseError": Mapping(-32700, 400, "INVALID_ARGUMENT", ""),
    "InvalidRequestError": Mapping(-32600, 400, "INVALID_ARGUMENT", ""),
    "MethodNotFoundError": Mapping(-32601, 404, "UNIMPLEMENTED", ""),
    "InvalidParamsError": Mapping(-32602, 400, "INVALID_ARGUMENT", ""),
    "InternalError": Mapping(-32603, 500, "INTERNAL", ""),
    "TaskNotFoundError": Mapping(-32001, 404, "NOT_FOUND", "TASK_NOT_FOUND"),
    "TaskNotCancelableError": Mapping(-32002, 400, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE"),
    "PushNotificationNotSupportedError": Mapping(-32003, 400, "FAILED_PRECONDITION", "PUSH_NOTIFICATION_NOT_SUPPORTED"),
    "UnsupportedOperationError": Mapping(-32004, 400, "FAILED_PRECONDITION", "UNSUPPORTED_OPERATION"),
    "ContentTypeNotSupportedError": Mapping(-32005, 400, "INVALID_ARGUMENT", "CONTENT_TYPE_NOT_SUPPORTED"),
    "InvalidAgentResponseError": Mapping(-32006, 500, "INTERNAL", "INVALID_AGENT_RESPONSE"),
    "ExtendedAgentCardNotConfiguredError": Mapping(
        -32007, 400, "FAILED_PRECONDITION", "EXTENDED_AGENT_CARD_NOT_CONFIGURED"
    ),
    "ExtensionSupportRequiredError": Mapping(-32008, 400, "FAILED_PRECONDITION", "EXTENSION_SUPPORT_REQUIRED"),
    "VersionNotSupportedError": Mapping(-32009, 400, "FAILED_PRECONDITION", "VERSION_NOT_SUPPORTED"),
    # Not in the spec's list: a body over the configured limit. JSON-RPC has no code for it, so it
    # answers as an invalid request; HTTP says 413 and gRPC RESOURCE_EXHAUSTED.
    "PayloadTooLargeError": Mapping(-32600, 413, "RESOURCE_EXHAUSTED", ""),
}

BY_JSONRPC_CODE: dict[int, type[A2AError]] = {}
for _cls in A2AError.__subclasses__():
    BY_JSONRPC_CODE.setdefault(TABLE[_cls.kind].jsonrpc, _cls)


def from_code(code: int, message: str) -> A2AError:
    """The error a client raises for a JSON-RPC error code it received."""
    return BY_JSONRPC_CODE.get(code, InternalError)(message)
