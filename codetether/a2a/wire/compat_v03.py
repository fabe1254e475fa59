"""Spec 0.3's JSON shapes and their mapping to and from the domain types (which follow spec 1.0).

0.3 marks every object with ``kind``, spells states in kebab-case (``input-required``), wraps files
and data in typed parts, nests push configs one level deeper, and says ``blocking`` where 1.0 says
``returnImmediately``. These Structs decode 0.3 requests strictly (a wrong type is a clear -32602)
and encode 0.3 results; the handler never sees them. The client runs the same mapping the other
way: it encodes 0.3 requests and decodes 0.3 results back into domain types.
"""

import base64
import binascii
from typing import Any, Literal

import msgspec

from ..domain import errors
from ..domain.types import (
    Artifact,
    AuthenticationInfo,
    Message,
    Part,
    PushConfig,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)

STATE_TO_V03 = {
    TaskState.UNSPECIFIED: "unknown",
    TaskState.SUBMITTED: "submitted",
    TaskState.WORKING: "working",
    TaskState.COMPLETED: "completed",
    TaskState.FAILED: "failed",
    TaskState.CANCELED: "canceled",
    TaskState.INPUT_REQUIRED: "input-required",
    TaskState.REJECTED: "rejected",
    TaskState.AUTH_REQUIRED: "auth-required",
}
STATE_FROM_V03 = {name: state for state, name in STATE_TO_V03.items()}
ROLE_TO_V03 = {Role.USER: "user", Role.AGENT: "agent", Role.UNSPECIFIED: "user"}


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


# -- 0.3 → domain ---------------------------------------------------------------------------------


def part_from_v03(part: PartV03, where: str = "part") -> Part:
    if isinstance(part, TextPart):
        return Part(text=part.text, metadata=part.metadata)
    if isinstance(part, DataPart):
        return Part(data=part.data, metadata=part.metadata)
    file = part.file
    if file.bytes is not None and file.uri is not None:
        # 0.3's file is FileWithBytes ("'bytes' is present and 'uri' is absent") or FileWithUri: never both.
        raise errors.InvalidParamsError(f"{where}.file: a file part holds bytes or uri, not both")
    if file.bytes is not None:
        try:
            raw = base64.b64decode(file.bytes, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise errors.InvalidParamsError(f"{where}.file.bytes is not valid base64") from exc
        return Part(raw=raw, filename=file.name or "", media_type=file.mime_type or "", metadata=part.metadata)
    if file.uri is None:
        raise errors.InvalidParamsError(f"{where}.file: a file part needs bytes or uri")
    return Part(url=file.uri, filename=file.name or "", media_type=file.mime_type or "", metadata=part.metadata)


def message_from_v03(message: MessageV03) -> Message:
    return Message(
        message_id=message.message_id,
        role=Role.USER if message.role == "user" else Role.AGENT,
        parts=[part_from_v03(part, f"message.parts[{index}]") for index, part in enumerate(message.parts)],
        context_id=message.context_id or "",
        task_id=message.task_id or "",
        reference_task_ids=message.reference_task_ids,
        extensions=message.extensions,
        metadata=message.metadata,
    )


def push_config_from_v03(config: PushConfigV03, task_id: str) -> PushConfig:
    auth = config.authentication
    return PushConfig(
        url=config.url,
        id=config.id or "",
        task_id=task_id,
        token=config.token or "",
        authentication=AuthenticationInfo(
            scheme=auth.schemes[0] if auth.schemes else "Bearer", credentials=auth.credentials or ""
        )
        if auth is not None
        else None,
    )


def send_request_from_v03(params: MessageSendParams) -> SendMessageRequest:
    config = params.configuration
    return SendMessageRequest(
        message=message_from_v03(params.message),
        configuration=SendMessageConfiguration(
            accepted_output_modes=config.accepted_output_modes,
            history_length=config.history_length,
            task_push_notification_config=push_config_from_v03(config.push_notification_config, "")
            if config.push_notification_config
            else None,
            return_immediately=config.blocking is False,
        )
        if config is not None
        else None,
        metadata=params.metadata,
    )


# -- domain → 0.3 ---------------------------------------------------------------------------------


def part_to_v03(part: Part) -> dict[str, Any]:
    if part.text is not None:
        out: dict[str, Any] = {"kind": "text", "text": part.text}
    elif part.raw is not None or part.url is not None:
        file: dict[str, Any] = {}
        if part.raw is not None:
            file["bytes"] = base64.b64encode(part.raw).decode()
        else:
            file["uri"] = part.url
        if part.media_type:
            file["mimeType"] = part.media_type
        if part.filename:
            file["name"] = part.filename
        out = {"kind": "file", "file": file}
    else:
        data = part.data if isinstance(part.data, dict) else {"value": part.data}
        out = {"kind": "data", "data": data}
    if part.metadata:
        out["metadata"] = part.metadata
    return out


def message_to_v03(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "message",
        "messageId": message.message_id,
        "role": ROLE_TO_V03[message.role],
        "parts": [part_to_v03(part) for part in message.parts],
    }
    for key, value in (
        ("contextId", message.context_id),
        ("taskId", message.task_id),
        ("referenceTaskIds", message.reference_task_ids),
        ("extensions", message.extensions),
        ("metadata", message.metadata),
    ):
        if value:
            out[key] = value
    return out


def status_to_v03(status: TaskStatus) -> dict[str, Any]:
    out: dict[str, Any] = {"state": STATE_TO_V03[status.state]}
    if status.message is not None:
        out["message"] = message_to_v03(status.message)
    if status.timestamp:
        out["timestamp"] = status.timestamp
    return out


def artifact_to_v03(artifact: Artifact) -> dict[str, Any]:
    out: dict[str, Any] = {"artifactId": artifact.artifact_id, "parts": [part_to_v03(p) for p in artifact.parts]}
    for key, value in (
        ("name", artifact.name),
        ("description", artifact.description),
        ("extensions", artifact.extensions),
        ("metadata", artifact.metadata),
    ):
        if value:
            out[key] = value
    return out


def task_to_v03(task: Task) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "task",
        "id": task.id,
        "contextId": task.context_id,
        "status": status_to_v03(task.status),
    }
    if task.artifacts:
        out["artifacts"] = [artifact_to_v03(artifact) for artifact in task.artifacts]
    if task.history:
        out["history"] = [message_to_v03(message) for message in task.history]
    if task.metadata:
        out["metadata"] = task.metadata
    return out


def event_to_v03(event: StreamResponse) -> dict[str, Any]:
    if event.task is not None:
        return task_to_v03(event.task)
    if event.message is not None:
        return message_to_v03(event.message)
    if event.status_update is not None:
        update = event.status_update
        state = update.status.state
        out = {
            "kind": "status-update",
            "taskId": update.task_id,
            "contextId": update.context_id,
            "status": status_to_v03(update.status),
            "final": state.terminal or state.interrupted,
        }
        if update.metadata:
            out["metadata"] = update.metadata
        return out
    update = event.artifact_update
    out = {
        "kind": "artifact-update",
        "taskId": update.task_id,
        "contextId": update.context_id,
        "artifact": artifact_to_v03(update.artifact),
        "append": update.append,
        "lastChunk": update.last_chunk,
    }
    if update.metadata:
        out["metadata"] = update.metadata
    return out


def push_config_to_v03(config: PushConfig) -> dict[str, Any]:
    inner: dict[str, Any] = {"id": config.id, "url": config.url}
    if config.token:
        inner["token"] = config.token
    if config.authentication is not None:
        inner["authentication"] = {"schemes": [config.authentication.scheme]}
        if config.authentication.credentials:
            inner["authentication"]["credentials"] = config.authentication.credentials
    return {"taskId": config.task_id, "pushNotificationConfig": inner}


# -- 0.3 results → domain (what a client reads back) ----------------------------------------------


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


def status_from_v03(status: TaskStatusV03) -> TaskStatus:
    return TaskStatus(
        state=STATE_FROM_V03.get(status.state, TaskState.UNSPECIFIED),
        message=message_from_v03(status.message) if status.message is not None else None,
        timestamp=status.timestamp,
    )


def artifact_from_v03(artifact: ArtifactV03) -> Artifact:
    return Artifact(
        artifact_id=artifact.artifact_id,
        parts=[part_from_v03(part, f"artifact.parts[{index}]") for index, part in enumerate(artifact.parts)],
        name=artifact.name or "",
        description=artifact.description or "",
        extensions=artifact.extensions,
        metadata=artifact.metadata,
    )


def task_from_v03(task: TaskV03) -> Task:
    return Task(
        id=task.id,
        context_id=task.context_id,
        status=status_from_v03(task.status),
        artifacts=[artifact_from_v03(artifact) for artifact in task.artifacts],
        history=[message_from_v03(message) for message in task.history],
        metadata=task.metadata,
    )


def event_from_v03(event: EventV03) -> StreamResponse:
    """A 0.3 result (``message/send``'s, or one streamed event) as the domain's ``StreamResponse``."""
    if isinstance(event, TaskV03):
        return StreamResponse(task=task_from_v03(event))
    if isinstance(event, MessageV03):
        return StreamResponse(message=message_from_v03(event))
    if isinstance(event, StatusUpdateV03):
        return StreamResponse(
            status_update=TaskStatusUpdateEvent(
                task_id=event.task_id,
                context_id=event.context_id,
                status=status_from_v03(event.status),
                metadata=event.metadata,
            )
        )
    return StreamResponse(
        artifact_update=TaskArtifactUpdateEvent(
            task_id=event.task_id,
            context_id=event.context_id,
            artifact=artifact_from_v03(event.artifact),
            append=bool(event.append),
            last_chunk=bool(event.last_chunk),
            metadata=event.metadata,
        )
    )


def send_request_to_v03(request: SendMessageRequest) -> dict[str, Any]:
    """``message/send`` params; ``blocking`` is always spelled out, as 0.3 servers differ on its default."""
    config = request.configuration
    configuration: dict[str, Any] = {"blocking": not (config is not None and config.return_immediately)}
    if config is not None:
        if config.accepted_output_modes:
            configuration["acceptedOutputModes"] = config.accepted_output_modes
        if config.history_length is not None:
            configuration["historyLength"] = config.history_length
        if config.task_push_notification_config is not None:
            push = push_config_to_v03(config.task_push_notification_config)["pushNotificationConfig"]
            configuration["pushNotificationConfig"] = {key: value for key, value in push.items() if value}
    out: dict[str, Any] = {"message": message_to_v03(request.message), "configuration": configuration}
    if request.metadata:
        out["metadata"] = request.metadata
    return out
