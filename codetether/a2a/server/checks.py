"""The checks a client's A2A request passes before it may create or change a task.

They sit apart from the handler because each binding's input ends up here the same way: a message
that no binding could carry back later (a number past a double, JSON nested past what gRPC decodes)
is refused up front, so one task can never make itself unreadable over another transport.
"""

import datetime as dt
from typing import Any

from ..domain import errors
from ..domain.types import Part, Role, SendMessageRequest

_MAX_JSON_NUMBER = 1.7976931348623157e308  # protobuf's Value holds a double: anything larger cannot travel


# How deep a client's free-form JSON (metadata, data parts) may nest. gRPC carries it as nested
# Struct/Value messages, whose decoder stops at 100 message levels (about 31 JSON objects deep): a
# deeper value would make the task unreadable over gRPC, so every binding refuses it up front.
MAX_FREE_FORM_DEPTH = 24


def check_send(request: SendMessageRequest) -> None:
    """A SendMessage request's message (parts, role), history length and free-form values."""
    message = request.message
    if not message.parts:
        raise errors.InvalidParamsError("message.parts: at least one part is required")
    for index, part in enumerate(message.parts):
        _check_part(part, f"message.parts[{index}]")
    if message.role is not Role.USER:
        raise errors.InvalidParamsError("message.role: a client message must have role ROLE_USER")
    check_history_length(request.configuration.history_length if request.configuration else None)
    for where, value in _free_form(request):
        _check_free_form(value, where)


def check_history_length(value: int | None) -> None:
    if value is not None and value < 0:
        raise errors.InvalidParamsError(f"historyLength must be 0 or more, got {value}")


def parse_timestamp(value: Any) -> float:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise errors.InvalidParamsError(f"statusTimestampAfter {value!r} is not an ISO 8601 timestamp") from exc


def _free_form(request: SendMessageRequest) -> list[tuple[str, Any]]:
    """The request's free-form JSON values (metadata, data parts) with where each sits: the only places
    an unchecked number or an unbounded nesting can be."""
    message = request.message
    values = [("request.metadata", request.metadata), ("request.message.metadata", message.metadata)]
    for index, part in enumerate(message.parts):
        values += [(f"request.message.parts[{index}].data", part.data)]
        values += [(f"request.message.parts[{index}].metadata", part.metadata)]
    return values


def _check_free_form(value: Any, where: str, depth: int = 0) -> None:
    """Refuse numbers no binding can carry and nesting past ``MAX_FREE_FORM_DEPTH`` (so one task cannot
    break gRPC reads of it later)."""
    if isinstance(value, dict | list) and depth >= MAX_FREE_FORM_DEPTH:
        raise errors.InvalidParamsError(f"{where}: nests deeper than {MAX_FREE_FORM_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_free_form(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_free_form(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, int | float) and not isinstance(value, bool) and not abs(value) <= _MAX_JSON_NUMBER:
        raise errors.InvalidParamsError(f"{where}: the number {value!r} is out of range")


def _check_part(part: Part, where: str) -> None:
    """Spec 1.0 §4.1.6: a part's content is a oneof, so exactly one of text, raw, url and data is set."""
    fields = part.content_fields()
    if not fields:
        raise errors.InvalidParamsError(f"{where}: a part needs one of text, raw, url or data")
    if len(fields) > 1:
        raise errors.InvalidParamsError(f"{where}: a part holds one content field, got {' and '.join(fields)}")
