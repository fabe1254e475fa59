"""Domain types ↔ protobuf messages of both gRPC packages (``lf.a2a.v1`` and spec 0.3's ``a2a.v1``).

Spec 1.0's ProtoJSON *is* the domain types' JSON, so v1 conversion goes through ``json_format``
unchanged (plus a hand-built fast path for the Task that every unary send answers with). Spec 0.3's
protobuf JSON is rewritten to and from 1.0's by ``v03_model`` under the ``PROTO`` dialect (parts
under ``content``, ``fileWithBytes``, ``TASK_STATE_CANCELLED``, ``data.data``); what only protobuf
has is here: resource names such as ``tasks/{id}`` and the agent card's protobuf shape.
"""

from typing import Any

import msgspec
from google.protobuf import json_format
from google.protobuf.message import Message as PbMessage

from ..domain import errors
from . import v03_model as m
from .v03_model import convert

_to_dict = msgspec.to_builtins
PROTO = m.Dialect(
    states={state.value: name for state, _, name in m.STATES},
    parts_key="content",
    bytes_key="fileWithBytes",
    uri_key="fileWithUri",
    nested_data=True,
    push_key="pushNotification",
    blocking_default=False,
    keeps_reference_task_ids=False,
)


def to_pb(obj: Any, cls: type[PbMessage]) -> PbMessage:
    """A domain Struct (or ProtoJSON dict) as protobuf message ``cls``."""
    data = obj if isinstance(obj, dict) else _to_dict(obj)
    return json_format.ParseDict(data, cls(), ignore_unknown_fields=True)


def from_pb(message: PbMessage, kind: type) -> Any:
    """A protobuf message as domain type ``kind`` (a ValidationError becomes InvalidParamsError)."""
    return convert(json_format.MessageToDict(message), kind)


# -- what only 0.3's protobuf has -----------------------------------------------------------------


def push_config_pb_json(config: dict[str, Any]) -> dict[str, Any]:
    """A 1.0 push config dict as 0.3's ``TaskPushNotificationConfig`` (named by resource)."""
    name = f"tasks/{config.get('taskId', '')}/pushNotificationConfigs/{config.get('id', '')}"
    return {"name": name, "pushNotificationConfig": m.push_to(config)}


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
