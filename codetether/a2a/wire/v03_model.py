"""Spec 0.3's object model against 1.0's, written once for both 0.3 encodings (JSON-RPC JSON, protobuf JSON).

Both 0.3 encodings differ from 1.0 in the same places: task states have other names, a part's
content is a typed file or data object, a push config sits one level deeper with a list of auth
schemes, ``blocking`` says what ``returnImmediately`` says the other way round, and a status update
carries ``final``. The functions here rewrite 1.0 ProtoJSON dicts (the domain types'
``msgspec.to_builtins`` form) into 0.3 dicts and back; a :class:`Dialect` holds the few spellings
that differ between the two encodings (``kind`` tags, ``content`` for ``parts``, ``fileWithBytes``
for ``bytes``, state and role names). ``compat_v03`` and ``proto_convert`` each define one dialect
and add what only their encoding has (strict JSON-RPC Structs; resource names and cards in protobuf).
"""

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..domain import errors
from ..domain.types import TaskState

# One row per state: the 1.0 name, 0.3 JSON-RPC's, 0.3 protobuf's (which spells CANCELLED).
STATES = (
    (TaskState.UNSPECIFIED, "unknown", "TASK_STATE_UNSPECIFIED"),
    (TaskState.SUBMITTED, "submitted", "TASK_STATE_SUBMITTED"),
    (TaskState.WORKING, "working", "TASK_STATE_WORKING"),
    (TaskState.COMPLETED, "completed", "TASK_STATE_COMPLETED"),
    (TaskState.FAILED, "failed", "TASK_STATE_FAILED"),
    (TaskState.CANCELED, "canceled", "TASK_STATE_CANCELLED"),
    (TaskState.INPUT_REQUIRED, "input-required", "TASK_STATE_INPUT_REQUIRED"),
    (TaskState.REJECTED, "rejected", "TASK_STATE_REJECTED"),
    (TaskState.AUTH_REQUIRED, "auth-required", "TASK_STATE_AUTH_REQUIRED"),
)
_FINAL = frozenset(state.value for state, _, _ in STATES if state.terminal or state.interrupted)
_EVENT_KEYS = ("task", "message", "statusUpdate", "artifactUpdate")


@dataclass(frozen=True)
class Dialect:
    """How one 0.3 encoding spells the shared model."""

    states: dict[str, str]  # 1.0 state name -> this encoding's
    roles: dict[str, str] = field(default_factory=dict)  # 1.0 role name -> this encoding's (absent: same)
    tagged: bool = False  # every object carries ``kind`` (JSON-RPC); else events are wrapped by key (protobuf)
    parts_key: str = "parts"  # where a message keeps its parts
    bytes_key: str = "bytes"
    uri_key: str = "uri"
    nested_data: bool = False  # a data part's object sits under ``data.data`` (protobuf's DataPart message)
    push_key: str = "pushNotificationConfig"  # the push config's key in a send's configuration
    blocking_default: bool = True  # what an absent ``blocking`` means (proto3 cannot say "absent": False)
    keeps_reference_task_ids: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "states_back", {v: k for k, v in self.states.items()})
        roles_back = {v: k for k, v in self.roles.items() if k != "ROLE_UNSPECIFIED"}
        object.__setattr__(self, "roles_back", roles_back)


def convert(data: Any, kind: type) -> Any:
    """A dict as domain type ``kind``; a ValidationError becomes InvalidParamsError."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise errors.InvalidParamsError(f"Invalid parameters: {exc}") from exc


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def _tag(kind: str, data: dict[str, Any], d: Dialect) -> dict[str, Any]:
    return {"kind": kind, **data} if d.tagged else data


# -- 1.0 → 0.3 ------------------------------------------------------------------------------------


def part_to(part: dict[str, Any], d: Dialect) -> dict[str, Any]:
    out: dict[str, Any]
    if "text" in part:
        out = {"text": part["text"]}
    elif "raw" in part or "url" in part:
        file = {d.bytes_key: part["raw"]} if "raw" in part else {d.uri_key: part["url"]}
        file.update(_drop_empty({"mimeType": part.get("mediaType"), "name": part.get("filename")}))
        out = {"file": file}
    else:  # 0.3's data part holds an object: anything else travels as {"value": ...}
        data = part.get("data")
        data = data if isinstance(data, dict) else {"value": data}
        out = {"data": {"data": data} if d.nested_data else data}
    if d.tagged:
        out["kind"] = next(iter(out))
    if part.get("metadata"):
        out["metadata"] = part["metadata"]
    return out


def message_to(message: dict[str, Any], d: Dialect) -> dict[str, Any]:
    drop = ("parts",) if d.keeps_reference_task_ids else ("parts", "referenceTaskIds")
    out = {key: value for key, value in message.items() if key not in drop}
    if "role" in message:
        out["role"] = d.roles.get(message["role"], message["role"])
    out[d.parts_key] = [part_to(part, d) for part in message.get("parts", [])]
    return _tag("message", out, d)


def status_to(status: dict[str, Any], d: Dialect) -> dict[str, Any]:
    out = dict(status)
    out["state"] = d.states.get(status["state"], status["state"])
    if "message" in status:
        out["message"] = message_to(status["message"], d)
    return out


def artifact_to(artifact: dict[str, Any], d: Dialect) -> dict[str, Any]:
    return {**artifact, "parts": [part_to(part, d) for part in artifact.get("parts", [])]}


def task_to(task: dict[str, Any], d: Dialect) -> dict[str, Any]:
    out = {"contextId": "", **task, "status": status_to(task["status"], d)}  # 0.3 requires contextId
    if "artifacts" in task:
        out["artifacts"] = [artifact_to(artifact, d) for artifact in task["artifacts"]]
    if "history" in task:
        out["history"] = [message_to(message, d) for message in task["history"]]
    return _tag("task", out, d)


def event_to(event: dict[str, Any], d: Dialect) -> dict[str, Any]:
    """A 1.0 ``StreamResponse`` (or ``SendMessageResponse``) dict in 0.3's shape; status updates get
    ``final`` (the state is terminal or interrupted)."""
    if "task" in event:
        key, out = "task", task_to(event["task"], d)
    elif "message" in event:
        key, out = "message", message_to(event["message"], d)
    elif "statusUpdate" in event:
        update = event["statusUpdate"]
        key = "statusUpdate"
        final = update["status"]["state"] in _FINAL
        out = {"contextId": "", **update, "status": status_to(update["status"], d), "final": final}
        out = _tag("status-update", out, d)
    else:
        update = event["artifactUpdate"]
        key = "artifactUpdate"
        out = {"contextId": "", "append": False, "lastChunk": False, **update}
        out = _tag("artifact-update", {**out, "artifact": artifact_to(update["artifact"], d)}, d)
    return out if d.tagged else {key: out}


def push_to(config: dict[str, Any]) -> dict[str, Any]:
    """A 1.0 push config's body as 0.3's ``PushNotificationConfig`` (the task id goes around it)."""
    out = _drop_empty({"id": config.get("id"), "url": config.get("url"), "token": config.get("token")})
    auth = config.get("authentication")
    if auth:
        out["authentication"] = _drop_empty({"schemes": [auth["scheme"]], "credentials": auth.get("credentials")})
    return out


def send_request_to(request: dict[str, Any], d: Dialect) -> dict[str, Any]:
    """A 1.0 ``SendMessageRequest`` dict as 0.3 params; ``blocking`` is always spelled out, as 0.3
    servers differ on its default."""
    config = request.get("configuration") or {}
    converted: dict[str, Any] = {"blocking": not config.get("returnImmediately", False)}
    if config.get("acceptedOutputModes"):
        converted["acceptedOutputModes"] = config["acceptedOutputModes"]
    if config.get("historyLength") is not None:
        converted["historyLength"] = config["historyLength"]
    if config.get("taskPushNotificationConfig"):
        converted[d.push_key] = push_to(config["taskPushNotificationConfig"])
    out: dict[str, Any] = {"message": message_to(request["message"], d), "configuration": converted}
    if request.get("metadata"):
        out["metadata"] = request["metadata"]
    return out


# -- 0.3 → 1.0 ------------------------------------------------------------------------------------


def part_from(part: dict[str, Any], d: Dialect, where: str = "part") -> dict[str, Any]:
    out: dict[str, Any]
    if "file" in part:
        file = part["file"]
        if d.bytes_key in file and d.uri_key in file:
            # 0.3's file is FileWithBytes ("'bytes' is present and 'uri' is absent") or FileWithUri: never both.
            raise errors.InvalidParamsError(f"{where}.file: a file part holds {d.bytes_key} or {d.uri_key}, not both")
        if d.bytes_key in file:
            try:
                base64.b64decode(file[d.bytes_key], validate=True)
            except (binascii.Error, ValueError, TypeError) as exc:
                raise errors.InvalidParamsError(f"{where}.file.{d.bytes_key} is not valid base64") from exc
            out = {"raw": file[d.bytes_key]}
        elif d.uri_key in file:
            out = {"url": file[d.uri_key]}
        else:
            raise errors.InvalidParamsError(f"{where}.file: a file part needs {d.bytes_key} or {d.uri_key}")
        out.update(_drop_empty({"mediaType": file.get("mimeType"), "filename": file.get("name")}))
    elif "data" in part:
        out = {"data": part["data"].get("data", {}) if d.nested_data else part["data"]}
    elif "text" in part:
        out = {"text": part["text"]}
    else:  # no content set: kept empty so the handler refuses it (spec 1.0 §4.1.6), not read as ""
        out = {}
    if part.get("metadata"):
        out["metadata"] = part["metadata"]
    return out


def _parts_from(parts: list[dict[str, Any]], d: Dialect, where: str) -> list[dict[str, Any]]:
    return [part_from(part, d, f"{where}.parts[{index}]") for index, part in enumerate(parts)]


def message_from(message: dict[str, Any], d: Dialect) -> dict[str, Any]:
    out = {key: value for key, value in message.items() if key not in (d.parts_key, "kind")}
    if "role" in message:
        out["role"] = d.roles_back.get(message["role"], message["role"])
    out["parts"] = _parts_from(message.get(d.parts_key, []), d, "message")
    return out


def status_from(status: dict[str, Any], d: Dialect) -> dict[str, Any]:
    out = dict(status)
    out["state"] = d.states_back.get(status.get("state"), TaskState.UNSPECIFIED.value)
    if "message" in status:
        out["message"] = message_from(status["message"], d)
    return out


def artifact_from(artifact: dict[str, Any], d: Dialect) -> dict[str, Any]:
    return {**artifact, "parts": _parts_from(artifact.get("parts", []), d, "artifact")}


def task_from(task: dict[str, Any], d: Dialect) -> dict[str, Any]:
    out = {key: value for key, value in task.items() if key != "kind"}
    out["status"] = status_from(task.get("status", {}), d)
    if "artifacts" in task:
        out["artifacts"] = [artifact_from(artifact, d) for artifact in task["artifacts"]]
    if "history" in task:
        out["history"] = [message_from(message, d) for message in task["history"]]
    return out


_KINDS = {"task": "task", "message": "message", "status-update": "statusUpdate", "artifact-update": "artifactUpdate"}


def event_from(event: dict[str, Any], d: Dialect) -> dict[str, Any]:
    """A 0.3 result (a send's, or one streamed event) as a 1.0 ``StreamResponse`` dict (``final`` dropped)."""
    if d.tagged:
        key, inner = _KINDS.get(event.get("kind", ""), ""), event
    else:
        key = next((key for key in _EVENT_KEYS if key in event), "")
        inner = event.get(key, {})
    if key == "task":
        return {"task": task_from(inner, d)}
    if key == "message":
        return {"message": message_from(inner, d)}
    if key == "statusUpdate":
        update = {k: v for k, v in inner.items() if k not in ("final", "kind")}
        update["status"] = status_from(update.get("status", {}), d)
        return {"statusUpdate": update}
    if key == "artifactUpdate":
        update = {k: v for k, v in inner.items() if k != "kind"}
        update["artifact"] = artifact_from(update.get("artifact", {}), d)
        return {"artifactUpdate": update}
    return {}


def push_from(config: dict[str, Any], task_id: str, config_id: str = "") -> dict[str, Any]:
    """0.3's ``PushNotificationConfig`` body as a 1.0 push config dict for ``task_id``."""
    out = _drop_empty(
        {"taskId": task_id, "id": config_id or config.get("id"), "url": config.get("url"), "token": config.get("token")}
    )
    auth = config.get("authentication")
    if auth:
        schemes = auth.get("schemes") or ["Bearer"]
        out["authentication"] = _drop_empty({"scheme": schemes[0], "credentials": auth.get("credentials")})
    return out


def send_request_from(request: dict[str, Any], d: Dialect) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message_from(request.get("message", {}), d)}
    config = request.get("configuration")
    if config is not None:
        converted: dict[str, Any] = {
            "acceptedOutputModes": config.get("acceptedOutputModes", []),
            "returnImmediately": not config.get("blocking", d.blocking_default),
        }
        if config.get("historyLength") is not None:  # protobuf JSON leaves out 0 (proto3's "not set")
            converted["historyLength"] = config["historyLength"]
        if config.get(d.push_key):
            converted["taskPushNotificationConfig"] = push_from(config[d.push_key], "")
        out["configuration"] = converted
    if request.get("metadata"):
        out["metadata"] = request["metadata"]
    return out
