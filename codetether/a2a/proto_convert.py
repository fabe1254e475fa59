"""Domain types ↔ protobuf messages of both gRPC packages (``lf.a2a.v1`` and spec 0.3's ``a2a.v1``).

Spec 1.0's ProtoJSON *is* the domain types' JSON, so v1 conversion goes through ``json_format``
unchanged. Spec 0.3's protobuf differs from 1.0 in a handful of places (parts under ``content``,
typed file/data parts, ``TASK_STATE_CANCELLED``, resource names such as ``tasks/{id}``, the push
config nested one level deeper, ``blocking`` for ``returnImmediately``); the ``*_v03`` functions
below rewrite the JSON between the two before ``json_format`` takes over.
"""

from typing import Any

import msgspec
from google.protobuf import json_format
from google.protobuf.message import Message as PbMessage

from . import errors

_to_dict = msgspec.to_builtins


def to_pb(obj: Any, cls: type[PbMessage]) -> PbMessage:
    """A domain Struct (or ProtoJSON dict) as protobuf message ``cls``."""
    data = obj if isinstance(obj, dict) else _to_dict(obj)
    return json_format.ParseDict(data, cls(), ignore_unknown_fields=True)


def from_pb(message: PbMessage, kind: type) -> Any:
    """A protobuf message as domain type ``kind`` (a ValidationError becomes InvalidParamsError)."""
    return convert(json_format.MessageToDict(message), kind)


def convert(data: Any, kind: type) -> Any:
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise errors.InvalidParamsError(f"Invalid parameters: {exc}") from exc


# -- spec 0.3 protobuf JSON ⇄ spec 1.0 JSON -------------------------------------------------------

_STATE_V03 = {"TASK_STATE_CANCELED": "TASK_STATE_CANCELLED"}
_STATE_V1 = {v: k for k, v in _STATE_V03.items()}


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def part_to_v03(part: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any]
    if "text" in part:
        out = {"text": part["text"]}
    elif "raw" in part or "url" in part:
        file = {"fileWithBytes": part["raw"]} if "raw" in part else {"fileWithUri": part["url"]}
        file.update(_drop_empty({"mimeType": part.get("mediaType"), "name": part.get("filename")}))
        out = {"file": file}
    else:
        data = part.get("data")
        out = {"data": {"data": data if isinstance(data, dict) else {"value": data}}}
    if part.get("metadata"):
        out["metadata"] = part["metadata"]
    return out


def part_from_v03(part: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any]
    if "file" in part:
        file = part["file"]
        out = {"raw": file["fileWithBytes"]} if "fileWithBytes" in file else {"url": file.get("fileWithUri", "")}
        out.update(_drop_empty({"mediaType": file.get("mimeType"), "filename": file.get("name")}))
    elif "data" in part:
        out = {"data": part["data"].get("data", {})}
    else:
        out = {"text": part.get("text", "")}
    if part.get("metadata"):
        out["metadata"] = part["metadata"]
    return out


def message_to_v03(message: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in message.items() if key not in ("parts", "referenceTaskIds")}
    out["content"] = [part_to_v03(part) for part in message.get("parts", [])]
    return out


def message_from_v03(message: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in message.items() if key != "content"}
    out["parts"] = [part_from_v03(part) for part in message.get("content", [])]
    return out


def status_to_v03(status: dict[str, Any]) -> dict[str, Any]:
    out = dict(status)
    out["state"] = _STATE_V03.get(status["state"], status["state"])
    if "message" in status:
        out["message"] = message_to_v03(status["message"])
    return out


def artifact_to_v03(artifact: dict[str, Any]) -> dict[str, Any]:
    return {**artifact, "parts": [part_to_v03(part) for part in artifact.get("parts", [])]}


def task_to_v03(task: dict[str, Any]) -> dict[str, Any]:
    out = dict(task)
    out["status"] = status_to_v03(task["status"])
    if "artifacts" in task:
        out["artifacts"] = [artifact_to_v03(artifact) for artifact in task["artifacts"]]
    if "history" in task:
        out["history"] = [message_to_v03(message) for message in task["history"]]
    return out


def event_to_v03(event: dict[str, Any]) -> dict[str, Any]:
    """A spec 1.0 ``StreamResponse`` (or ``SendMessageResponse``) dict in 0.3's protobuf JSON."""
    if "task" in event:
        return {"task": task_to_v03(event["task"])}
    if "message" in event:
        return {"message": message_to_v03(event["message"])}
    if "statusUpdate" in event:
        update = dict(event["statusUpdate"])
        state = update["status"]["state"]
        update["status"] = status_to_v03(update["status"])
        update["final"] = state in _FINAL_STATES
        return {"statusUpdate": update}
    update = dict(event["artifactUpdate"])
    update["artifact"] = artifact_to_v03(update["artifact"])
    return {"artifactUpdate": update}


_FINAL_STATES = frozenset(
    {
        "TASK_STATE_COMPLETED",
        "TASK_STATE_FAILED",
        "TASK_STATE_CANCELED",
        "TASK_STATE_REJECTED",
        "TASK_STATE_INPUT_REQUIRED",
        "TASK_STATE_AUTH_REQUIRED",
    }
)


def push_config_to_v03(config: dict[str, Any]) -> dict[str, Any]:
    inner = _drop_empty({"id": config.get("id"), "url": config.get("url"), "token": config.get("token")})
    auth = config.get("authentication")
    if auth:
        inner["authentication"] = _drop_empty({"schemes": [auth["scheme"]], "credentials": auth.get("credentials")})
    name = f"tasks/{config.get('taskId', '')}/pushNotificationConfigs/{config.get('id', '')}"
    return {"name": name, "pushNotificationConfig": inner}


def push_config_from_v03(config: dict[str, Any], task_id: str, config_id: str = "") -> dict[str, Any]:
    inner = config.get("pushNotificationConfig", {})
    out = _drop_empty(
        {"taskId": task_id, "id": config_id or inner.get("id"), "url": inner.get("url"), "token": inner.get("token")}
    )
    auth = inner.get("authentication")
    if auth:
        schemes = auth.get("schemes") or ["Bearer"]
        out["authentication"] = _drop_empty({"scheme": schemes[0], "credentials": auth.get("credentials")})
    return out


def send_request_from_v03(request: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message_from_v03(request.get("message", {}))}
    config = request.get("configuration")
    if config is not None:
        converted: dict[str, Any] = {
            "acceptedOutputModes": config.get("acceptedOutputModes", []),
            "returnImmediately": not config.get("blocking", False),
        }
        if config.get("historyLength"):  # proto3 int32: 0 means "not set" here
            converted["historyLength"] = config["historyLength"]
        if config.get("pushNotification"):
            converted["taskPushNotificationConfig"] = push_config_from_v03(
                {"pushNotificationConfig": config["pushNotification"]}, ""
            )
        out["configuration"] = converted
    if request.get("metadata"):
        out["metadata"] = request["metadata"]
    return out


def resource_ids(name: str, *kinds: str) -> list[str]:
    """``tasks/abc/pushNotificationConfigs/x`` with kinds ``("tasks", "pushNotificationConfigs")`` →
    ``["abc", "x"]``; anything else is InvalidParamsError naming the expected form."""
    parts = name.split("/")
    expected = "/".join(f"{kind}/{{id}}" for kind in kinds)
    if len(parts) != 2 * len(kinds) or any(parts[2 * i] != kind for i, kind in enumerate(kinds)):
        raise errors.InvalidParamsError(f"resource name {name!r} is not of the form {expected}")
    ids = parts[1::2]
    if not all(ids):
        raise errors.InvalidParamsError(f"resource name {name!r} has an empty id")
    return ids


def card_to_v03(card: dict[str, Any]) -> dict[str, Any]:
    """The agent card in 0.3's protobuf shape (security schemes in their protobuf ``oneof`` form)."""
    out = dict(card)
    out["securitySchemes"] = {
        name: {key: value for key, value in scheme.items() if key.endswith("SecurityScheme")}
        for name, scheme in card.get("securitySchemes", {}).items()
    }
    out["security"] = [
        {"schemes": {name: {"list": scopes} for name, scopes in entry.items()}} for entry in card.get("security", [])
    ]
    capabilities = card.get("capabilities", {})
    out["capabilities"] = {
        key: value for key, value in capabilities.items() if key in ("streaming", "pushNotifications", "extensions")
    }
    return out
