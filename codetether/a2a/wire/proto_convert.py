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

from ..domain import errors

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
    elif "text" in part:
        out = {"text": part["text"]}
    else:  # no content set: kept empty so the handler refuses it (spec 1.0 §4.1.6), not read as ""
        out = {}
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


_CARD_V03_FIELDS = (
    "protocolVersion", "name", "description", "url", "preferredTransport", "additionalInterfaces", "provider",
    "version", "documentationUrl", "defaultInputModes", "defaultOutputModes", "skills",
    "supportsAuthenticatedExtendedCard", "signatures", "iconUrl",
)  # fmt: skip


def card_to_v03(card: dict[str, Any]) -> dict[str, Any]:
    """The agent card in 0.3's protobuf shape (security schemes in their protobuf ``oneof`` form)."""
    out = {key: card[key] for key in _CARD_V03_FIELDS if key in card}
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


# -- the client's direction: 1.0 requests as 0.3 protobuf JSON, 0.3 results back as 1.0 JSON ---------


def status_from_v03(status: dict[str, Any]) -> dict[str, Any]:
    out = dict(status)
    state = status.get("state", "TASK_STATE_UNSPECIFIED")
    out["state"] = _STATE_V1.get(state, state)
    if "message" in status:
        out["message"] = message_from_v03(status["message"])
    return out


def artifact_from_v03(artifact: dict[str, Any]) -> dict[str, Any]:
    return {**artifact, "parts": [part_from_v03(part) for part in artifact.get("parts", [])]}


def task_from_v03(task: dict[str, Any]) -> dict[str, Any]:
    out = dict(task)
    out["status"] = status_from_v03(task.get("status", {}))
    if "artifacts" in task:
        out["artifacts"] = [artifact_from_v03(artifact) for artifact in task["artifacts"]]
    if "history" in task:
        out["history"] = [message_from_v03(message) for message in task["history"]]
    return out


def event_from_v03(event: dict[str, Any]) -> dict[str, Any]:
    """A 0.3 ``StreamResponse`` (or ``SendMessageResponse``) dict as spec 1.0 JSON (``final`` dropped)."""
    if "task" in event:
        return {"task": task_from_v03(event["task"])}
    if "message" in event:
        return {"message": message_from_v03(event["message"])}
    if "statusUpdate" in event:
        update = {key: value for key, value in event["statusUpdate"].items() if key != "final"}
        update["status"] = status_from_v03(update.get("status", {}))
        return {"statusUpdate": update}
    if "artifactUpdate" in event:
        update = dict(event["artifactUpdate"])
        update["artifact"] = artifact_from_v03(update.get("artifact", {}))
        return {"artifactUpdate": update}
    return {}


def send_request_to_v03(request: dict[str, Any]) -> dict[str, Any]:
    """A 1.0 ``SendMessageRequest`` dict in 0.3's protobuf JSON; ``blocking`` is always spelled out."""
    out: dict[str, Any] = {"message": message_to_v03(request["message"])}
    config = request.get("configuration") or {}
    converted: dict[str, Any] = {"blocking": not config.get("returnImmediately", False)}
    if config.get("acceptedOutputModes"):
        converted["acceptedOutputModes"] = config["acceptedOutputModes"]
    if config.get("historyLength"):
        converted["historyLength"] = config["historyLength"]
    if config.get("taskPushNotificationConfig"):
        converted["pushNotification"] = push_config_to_v03(config["taskPushNotificationConfig"])[
            "pushNotificationConfig"
        ]
    out["configuration"] = converted
    if request.get("metadata"):
        out["metadata"] = request["metadata"]
    return out


def card_from_v03(card: dict[str, Any]) -> dict[str, Any]:
    """0.3's protobuf agent card as the domain card's JSON (``security`` back to name → scopes)."""
    out = dict(card)
    out["security"] = [
        {name: scopes.get("list", []) for name, scopes in entry.get("schemes", {}).items()}
        for entry in card.get("security", [])
    ]
    return out


# -- spec 1.0 fast path -----------------------------------------------------------------------------
# SendMessage answers with a whole Task: building it field by field with the generated constructors
# is several times cheaper than a json_format round trip, and it is the hot path of every unary send.


def _set_timestamp(target, value: str | None) -> None:
    if value:
        import datetime as dt

        moment = dt.datetime.fromisoformat(value)
        target.seconds = int(moment.timestamp())
        target.nanos = moment.microsecond * 1000


def _part_pb(v1, part) -> Any:
    out = v1.Part(filename=part.filename, media_type=part.media_type)
    if part.text is not None:
        out.text = part.text
    elif part.raw is not None:
        out.raw = part.raw
    elif part.url is not None:
        out.url = part.url
    elif part.data is not None:
        json_format.ParseDict(part.data, out.data)
    if part.metadata:
        out.metadata.update(part.metadata)
    return out


def _message_pb(v1, message) -> Any:
    out = v1.Message(
        message_id=message.message_id,
        context_id=message.context_id,
        task_id=message.task_id,
        role=message.role.value,
        parts=[_part_pb(v1, part) for part in message.parts],
        extensions=message.extensions,
        reference_task_ids=message.reference_task_ids,
    )
    if message.metadata:
        out.metadata.update(message.metadata)
    return out


def _status_pb(v1, status) -> Any:
    out = v1.TaskStatus(state=status.state.value)
    if status.message is not None:
        out.message.CopyFrom(_message_pb(v1, status.message))
    _set_timestamp(out.timestamp, status.timestamp)
    return out


def _artifact_pb(v1, artifact) -> Any:
    out = v1.Artifact(
        artifact_id=artifact.artifact_id,
        name=artifact.name,
        description=artifact.description,
        parts=[_part_pb(v1, part) for part in artifact.parts],
        extensions=artifact.extensions,
    )
    if artifact.metadata:
        out.metadata.update(artifact.metadata)
    return out


def task_to_pb_v1(v1, task) -> Any:
    out = v1.Task(
        id=task.id,
        context_id=task.context_id,
        status=_status_pb(v1, task.status),
        artifacts=[_artifact_pb(v1, artifact) for artifact in task.artifacts],
        history=[_message_pb(v1, message) for message in task.history],
    )
    if task.metadata:
        out.metadata.update(task.metadata)
    return out


def send_response_to_pb_v1(v1, response) -> Any:
    if response.task is not None:
        return v1.SendMessageResponse(task=task_to_pb_v1(v1, response.task))
    return v1.SendMessageResponse(message=_message_pb(v1, response.message))


def stream_response_to_pb_v1(v1, event) -> Any:
    if event.task is not None:
        return v1.StreamResponse(task=task_to_pb_v1(v1, event.task))
    if event.message is not None:
        return v1.StreamResponse(message=_message_pb(v1, event.message))
    if event.status_update is not None:
        update = event.status_update
        out = v1.StreamResponse()
        out.status_update.task_id = update.task_id
        out.status_update.context_id = update.context_id
        out.status_update.status.CopyFrom(_status_pb(v1, update.status))
        if update.metadata:
            out.status_update.metadata.update(update.metadata)
        return out
    update = event.artifact_update
    out = v1.StreamResponse()
    out.artifact_update.task_id = update.task_id
    out.artifact_update.context_id = update.context_id
    out.artifact_update.artifact.CopyFrom(_artifact_pb(v1, update.artifact))
    out.artifact_update.append = update.append
    out.artifact_update.last_chunk = update.last_chunk
    if update.metadata:
        out.artifact_update.metadata.update(update.metadata)
    return out
