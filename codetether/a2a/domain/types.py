"""The A2A domain types, shaped like spec 1.0's JSON (ProtoJSON of ``lf.a2a.v1``).

One model serves every transport: the v1.0 JSON-RPC and REST bindings encode these Structs as they
are; ``compat_v03`` maps them to and from spec 0.3's JSON; ``proto_convert`` to and from both gRPC
packages. Field names are snake_case here and camelCase on the wire; defaults are omitted on output,
as ProtoJSON does, so an empty list or ``None`` never reaches a client.
"""

import enum
from typing import Any

import msgspec


class TaskState(enum.Enum):
    UNSPECIFIED = "TASK_STATE_UNSPECIFIED"
    SUBMITTED = "TASK_STATE_SUBMITTED"
    WORKING = "TASK_STATE_WORKING"
    COMPLETED = "TASK_STATE_COMPLETED"
    FAILED = "TASK_STATE_FAILED"
    CANCELED = "TASK_STATE_CANCELED"
    INPUT_REQUIRED = "TASK_STATE_INPUT_REQUIRED"
    REJECTED = "TASK_STATE_REJECTED"
    AUTH_REQUIRED = "TASK_STATE_AUTH_REQUIRED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def interrupted(self) -> bool:
        """The task waits for the client: a stream or a blocking send ends here too."""
        return self in (TaskState.INPUT_REQUIRED, TaskState.AUTH_REQUIRED)


TERMINAL_STATES = frozenset({TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELED, TaskState.REJECTED})


class Role(enum.Enum):
    UNSPECIFIED = "ROLE_UNSPECIFIED"
    USER = "ROLE_USER"
    AGENT = "ROLE_AGENT"


class _Wire(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base for wire types: camelCase names, defaults left out, unknown fields ignored (spec 3.6)."""


class Part(_Wire):
    """One piece of content: exactly one of text, raw bytes, a URL, or structured data."""

    text: str | None = None
    raw: bytes | None = None
    url: str | None = None
    data: Any = None
    metadata: dict[str, Any] | None = None
    filename: str = ""
    media_type: str = ""

    def content_fields(self) -> list[str]:
        """The wire names of the ``content`` oneof fields that are set: a valid part has exactly one.

        Protobuf keeps one by construction, JSON does not, so the handler checks this for every binding.
        A ``data`` of JSON ``null`` counts as unset: this model cannot tell it from an absent field.
        """
        return [name for name in ("text", "raw", "url", "data") if getattr(self, name) is not None]


class Message(_Wire):
    message_id: str
    role: Role
    parts: list[Part]
    context_id: str = ""
    task_id: str = ""
    metadata: dict[str, Any] | None = None
    extensions: list[str] = []
    reference_task_ids: list[str] = []

    def text(self) -> str:
        """The message's text parts joined: what an agent reads as the prompt."""
        return "\n".join(part.text for part in self.parts if part.text)


class Artifact(_Wire):
    artifact_id: str
    parts: list[Part]
    name: str = ""
    description: str = ""
    metadata: dict[str, Any] | None = None
    extensions: list[str] = []


class TaskStatus(_Wire):
    state: TaskState
    message: Message | None = None
    timestamp: str | None = None


class Task(_Wire):
    id: str
    status: TaskStatus
    context_id: str = ""
    artifacts: list[Artifact] = []
    history: list[Message] = []
    metadata: dict[str, Any] | None = None

    def merge_artifact(self, artifact: "Artifact", append: bool) -> None:
        """Apply one ``TaskArtifactUpdateEvent``: a new id adds the artifact, a known one is
        replaced, or with ``append`` has the update's parts added to its own."""
        for index, existing in enumerate(self.artifacts):
            if existing.artifact_id == artifact.artifact_id:
                if append:
                    artifact = msgspec.structs.replace(existing, parts=[*existing.parts, *artifact.parts])
                self.artifacts[index] = artifact
                return
        self.artifacts.append(artifact)


class TaskStatusUpdateEvent(_Wire):
    task_id: str
    context_id: str
    status: TaskStatus
    metadata: dict[str, Any] | None = None


class TaskArtifactUpdateEvent(_Wire):
    task_id: str
    context_id: str
    artifact: Artifact
    append: bool = False
    last_chunk: bool = False
    metadata: dict[str, Any] | None = None


class StreamResponse(_Wire):
    """One streamed event; exactly one field is set."""

    task: Task | None = None
    message: Message | None = None
    status_update: TaskStatusUpdateEvent | None = None
    artifact_update: TaskArtifactUpdateEvent | None = None


class SendMessageResponse(_Wire):
    task: Task | None = None
    message: Message | None = None


class AuthenticationInfo(_Wire):
    scheme: str
    credentials: str = ""


class PushConfig(_Wire):
    """``TaskPushNotificationConfig``: where and how to POST a task's updates."""

    url: str
    id: str = ""
    task_id: str = ""
    token: str = ""
    authentication: AuthenticationInfo | None = None
    tenant: str = ""


class SendMessageConfiguration(_Wire):
    accepted_output_modes: list[str] = []
    task_push_notification_config: PushConfig | None = None
    history_length: int | None = None
    return_immediately: bool = False


class SendMessageRequest(_Wire):
    message: Message
    configuration: SendMessageConfiguration | None = None
    metadata: dict[str, Any] | None = None
    tenant: str = ""


class GetTaskRequest(_Wire):
    id: str
    history_length: int | None = None
    tenant: str = ""


class ListTasksRequest(_Wire):
    context_id: str = ""
    status: TaskState = TaskState.UNSPECIFIED
    page_size: int | None = None
    page_token: str = ""
    history_length: int | None = None
    status_timestamp_after: str | None = None
    include_artifacts: bool | None = None
    tenant: str = ""


class ListTasksResponse(_Wire):
    """All four fields are REQUIRED by the spec, so none has a default (and none is ever left out)."""

    tasks: list[Task]
    next_page_token: str
    page_size: int
    total_size: int


class CancelTaskRequest(_Wire):
    id: str
    metadata: dict[str, Any] | None = None
    tenant: str = ""


class SubscribeToTaskRequest(_Wire):
    id: str
    tenant: str = ""


class GetPushConfigRequest(_Wire):
    task_id: str
    id: str
    tenant: str = ""


class DeletePushConfigRequest(_Wire):
    task_id: str
    id: str
    tenant: str = ""


class ListPushConfigsRequest(_Wire):
    task_id: str
    page_size: int = 0
    page_token: str = ""
    tenant: str = ""


class ListPushConfigsResponse(_Wire):
    configs: list[PushConfig]
    next_page_token: str = ""


class GetExtendedAgentCardRequest(_Wire):
    tenant: str = ""


class AgentInterface(_Wire):
    """A served endpoint: v1.0 names it by binding and version; v0.3 reads ``transport``."""

    url: str
    protocol_binding: str = ""
    protocol_version: str = ""
    tenant: str = ""


class LegacyInterface(_Wire):
    url: str
    transport: str


class AgentProvider(_Wire):
    url: str
    organization: str


class AgentCapabilities(_Wire):
    streaming: bool | None = None
    push_notifications: bool | None = None
    extended_agent_card: bool | None = None
    state_transition_history: bool | None = None
    extensions: list[dict[str, Any]] = []


class AgentSkill(_Wire):
    id: str
    name: str
    description: str
    tags: list[str]
    examples: list[str] = []
    input_modes: list[str] = []
    output_modes: list[str] = []


class AgentCard(_Wire):
    """The agent card, readable by spec 1.0 and 0.3 clients alike.

    The v1.0 fields (``supportedInterfaces``, ``securityRequirements``) and the v0.3 ones (``url``,
    ``preferredTransport``, ``additionalInterfaces``, ``protocolVersion``, ``security``) sit side by
    side; each client reads its own and ignores the rest. Security schemes carry both shapes at once.
    """

    name: str
    description: str
    version: str
    supported_interfaces: list[AgentInterface] = []
    capabilities: AgentCapabilities = msgspec.field(default_factory=AgentCapabilities)
    default_input_modes: list[str] = []
    default_output_modes: list[str] = []
    skills: list[AgentSkill] = []
    provider: AgentProvider | None = None
    documentation_url: str | None = None
    security_schemes: dict[str, dict[str, Any]] = {}
    security_requirements: list[dict[str, Any]] = []
    # spec 0.3
    protocol_version: str = ""
    url: str = ""
    preferred_transport: str = ""
    additional_interfaces: list[LegacyInterface] = []
    security: list[dict[str, list[str]]] = []
    supports_authenticated_extended_card: bool | None = None
