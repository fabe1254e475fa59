"""Spec 0.3 over JSON-RPC: its JSON shapes, and the domain types (spec 1.0) in and out of them.

The mapping itself is ``v03_model``'s, shared with 0.3's protobuf; what is JSON-RPC's own is here:
the ``JSONRPC`` dialect (``kind`` on every object, kebab-case states such as ``input-required``,
lower-case roles, ``file.bytes``/``file.uri``) and Structs that decode 0.3 requests and results
strictly (a wrong type is a clear -32602), before the shared mapping runs on them. The handler never
sees 0.3; the server encodes results with ``*_json`` and the client encodes requests the same way.
"""

from typing import Any, Literal

import msgspec

from ..domain.types import PushConfig, SendMessageRequest, SendMessageResponse, StreamResponse, Task
from . import v03_model as m

JSONRPC = m.Dialect(
    states={state.value: name for state, name, _ in m.STATES},
    roles={"ROLE_USER": "user", "ROLE_AGENT": "agent", "ROLE_UNSPECIFIED": "user"},
    tagged=True,
)
_to_dict = msgspec.to_builtins


class _V03(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    pass


class TextPart(_V03, tag="text", tag_field="kind"):
    text: str
    metadata: dict[str, Any] | None = None


class FileContent(_V03):
    bytes: str | None = None
    uri: str | None = None
    mime_type: str | None = None
    name: str | None = None


class FilePart(_V03, tag="file", tag_field="kind"):
    file: FileContent
    metadata: dict[str, Any] | None = None


class DataPart(_V03, tag="data", tag_field="kind"):
    data: dict[str, Any]
    metadata: dict[str, Any] | None = None


PartV03 = TextPart | FilePart | DataPart


class MessageV03(_V03, tag="message", tag_field="kind"):
    message_id: str
    role: Literal["user", "agent"]
    parts: list[PartV03]
    context_id: str | None = None
    task_id: str | None = None
    reference_task_ids: list[str] = []
    extensions: list[str] = []
    metadata: dict[str, Any] | None = None


class AuthenticationV03(_V03):
    schemes: list[str] = []
    credentials: str | None = None


class PushConfigV03(_V03):
    url: str
    id: str | None = None
    token: str | None = None
    authentication: AuthenticationV03 | None = None


class TaskPushConfigV03(_V03):
    task_id: str
    push_notification_config: PushConfigV03


class ConfigurationV03(_V03):
    accepted_output_modes: list[str] = []
    history_length: int | None = None
    push_notification_config: PushConfigV03 | None = None
    blocking: bool | None = None


class MessageSendParams(_V03):
    message: MessageV03
    configuration: ConfigurationV03 | None = None
    metadata: dict[str, Any] | None = None


class TaskQueryParams(_V03):
    id: str
    history_length: int | None = None
    metadata: dict[str, Any] | None = None


class TaskIdParams(_V03):
    id: str
    metadata: dict[str, Any] | None = None


class PushConfigParams(_V03):
    """``tasks/pushNotificationConfig/get|delete`` (and ``list``, which ignores the config id)."""

    id: str
    push_notification_config_id: str | None = None
    metadata: dict[str, Any] | None = None


# -- the server: 0.3 requests in, 0.3 results out ---------------------------------------------------


def send_request(params: MessageSendParams) -> SendMessageRequest:
    return m.convert(m.send_request_from(_to_dict(params), JSONRPC), SendMessageRequest)


def push_config(config: PushConfigV03, task_id: str) -> PushConfig:
    return m.convert(m.push_from(_to_dict(config), task_id), PushConfig)


def task_json(task: Task) -> dict[str, Any]:
    return m.task_to(_to_dict(task), JSONRPC)


def reply_json(reply: SendMessageResponse | StreamResponse) -> dict[str, Any]:
    """A send's result or one streamed event: a task, a message, or a status or artifact update."""
    return m.event_to(_to_dict(reply), JSONRPC)


def push_json(config: PushConfig) -> dict[str, Any]:
    return {"taskId": config.task_id, "pushNotificationConfig": m.push_to(_to_dict(config))}


# -- 0.3 results, decoded strictly by the client before the shared mapping reads them ---------------


class TaskStatusV03(_V03):
    state: str
    message: MessageV03 | None = None
    timestamp: str | None = None


class ArtifactV03(_V03):
    artifact_id: str
    parts: list[PartV03]
    name: str | None = None
    description: str | None = None
    extensions: list[str] = []
    metadata: dict[str, Any] | None = None


class TaskV03(_V03, tag="task", tag_field="kind"):
    id: str
    status: TaskStatusV03
    context_id: str = ""
    artifacts: list[ArtifactV03] = []
    history: list[MessageV03] = []
    metadata: dict[str, Any] | None = None


class StatusUpdateV03(_V03, tag="status-update", tag_field="kind"):
    task_id: str
    status: TaskStatusV03
    context_id: str = ""
    final: bool = False  # implied by the state in 1.0, so dropped on the way in
    metadata: dict[str, Any] | None = None


class ArtifactUpdateV03(_V03, tag="artifact-update", tag_field="kind"):
    task_id: str
    artifact: ArtifactV03
    context_id: str = ""
    append: bool | None = None
    last_chunk: bool | None = None
    metadata: dict[str, Any] | None = None


EventV03 = TaskV03 | MessageV03 | StatusUpdateV03 | ArtifactUpdateV03


# -- the client: 1.0 requests out as 0.3, 0.3 results back (as 1.0 dicts for ``client.decode``) ------


def send_params(request: SendMessageRequest) -> dict[str, Any]:
    return m.send_request_to(_to_dict(request), JSONRPC)


def result_dict(result: EventV03) -> dict[str, Any]:
    """A validated 0.3 result as the 1.0 ``StreamResponse`` dict it stands for."""
    return m.event_from(_to_dict(result), JSONRPC)


def task_dict(task: TaskV03) -> dict[str, Any]:
    return m.task_from(_to_dict(task), JSONRPC)


def push_dict(item: TaskPushConfigV03) -> dict[str, Any]:
    return m.push_from(_to_dict(item.push_notification_config), item.task_id)
