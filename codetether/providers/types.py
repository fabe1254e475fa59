"""Provider-neutral request, response and stream-event types (msgspec Structs).

Every wire format converts to and from these, so the agent loop, swarm, RLM and the A2A
executor never see a vendor's JSON.
"""

from typing import Any, Literal

import msgspec

Role = Literal["system", "user", "assistant", "tool"]


class TextPart(msgspec.Struct, tag="text", kw_only=True):
    text: str


class ImagePart(msgspec.Struct, tag="image", kw_only=True):
    """An inline image: base64 ``data`` of type ``media_type`` (image/png, image/jpeg, ...)."""

    media_type: str
    data: str


class ThinkingPart(msgspec.Struct, tag="thinking", kw_only=True):
    """Model reasoning. Anthropic requires ``signature`` to be sent back unchanged on the next turn."""

    text: str
    signature: str | None = None


Part = TextPart | ImagePart | ThinkingPart


class ToolCall(msgspec.Struct, kw_only=True):
    """A call the model asked for; ``arguments`` is the raw JSON text exactly as the model wrote it."""

    id: str
    name: str
    arguments: str = "{}"

    @classmethod
    def from_input(cls, id: str, name: str, arguments: Any) -> "ToolCall":
        """A call whose arguments arrived as a decoded JSON object (Anthropic, Gemini, Bedrock)."""
        return cls(id=id, name=name, arguments=msgspec.json.encode(arguments or {}).decode())

    def arguments_object(self) -> dict[str, Any]:
        """The arguments for APIs that take a JSON object; {} when the model's JSON was broken.

        A reply cut off mid-call leaves invalid JSON in the history; the tool already answered it with
        an error, and replaying it must not make every later request fail.
        """
        try:
            return self.parsed_arguments()
        except ValueError:
            return {}

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; raises ValueError with the parse error when the JSON is bad."""
        try:
            value = msgspec.json.decode(self.arguments or "{}")
        except msgspec.DecodeError as exc:
            raise ValueError(f"arguments of tool call {self.name} are not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise ValueError(f"arguments of tool call {self.name} must be a JSON object")
        return value


class Message(msgspec.Struct, kw_only=True):
    """One conversation turn. Tool results are ``role="tool"`` messages that name the call they answer."""

    role: Role
    content: list[Part] = []
    tool_calls: list[ToolCall] = []
    tool_call_id: str | None = None
    name: str | None = None
    is_error: bool = False

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @classmethod
    def system(cls, text: str) -> "Message":
        return cls(role="system", content=[TextPart(text=text)])

    @classmethod
    def user(cls, text: str, images: list[ImagePart] | None = None) -> "Message":
        return cls(role="user", content=[TextPart(text=text), *(images or [])])

    @classmethod
    def assistant(cls, text: str = "", tool_calls: list[ToolCall] | None = None) -> "Message":
        return cls(role="assistant", content=[TextPart(text=text)] if text else [], tool_calls=tool_calls or [])

    @classmethod
    def tool_result(cls, call: ToolCall, text: str, *, is_error: bool = False) -> "Message":
        return cls(role="tool", content=[TextPart(text=text)], tool_call_id=call.id, name=call.name, is_error=is_error)


class ToolSpec(msgspec.Struct, kw_only=True):
    """A tool the model may call: ``parameters`` is a JSON Schema object."""

    name: str
    description: str
    parameters: dict[str, Any] = msgspec.field(default_factory=lambda: {"type": "object", "properties": {}})


class Request(msgspec.Struct, kw_only=True):
    model: str
    messages: list[Message]
    tools: list[ToolSpec] = []
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] = []


class Usage(msgspec.Struct, kw_only=True):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None

    def __add__(self, other: "Usage") -> "Usage":
        cost = (
            None if self.cost_usd is None and other.cost_usd is None else (self.cost_usd or 0) + (other.cost_usd or 0)
        )
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cost_usd=cost,
        )


StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "content_filter", "other"]


class Response(msgspec.Struct, kw_only=True):
    message: Message
    usage: Usage
    stop_reason: StopReason
    model: str

    @property
    def text(self) -> str:
        return self.message.text


# --- stream events ------------------------------------------------------------------------------


class TextDelta(msgspec.Struct, tag="text_delta", kw_only=True):
    text: str


class ThinkingDelta(msgspec.Struct, tag="thinking_delta", kw_only=True):
    text: str = ""
    signature: str | None = None


class ToolCallStart(msgspec.Struct, tag="tool_call_start", kw_only=True):
    index: int
    id: str
    name: str


class ToolCallDelta(msgspec.Struct, tag="tool_call_delta", kw_only=True):
    index: int
    arguments: str


class ToolCallEnd(msgspec.Struct, tag="tool_call_end", kw_only=True):
    index: int
    call: ToolCall


class UsageEvent(msgspec.Struct, tag="usage", kw_only=True):
    usage: Usage


class Done(msgspec.Struct, tag="done", kw_only=True):
    stop_reason: StopReason
    model: str


class ErrorEvent(msgspec.Struct, tag="error", kw_only=True):
    """A failure carried as data, for relays (bus, SSE, A2A) that forward a stream across a boundary.

    Providers themselves raise :class:`ProviderError`; :func:`ErrorEvent.from_exception` turns one into an event.
    """

    kind: str
    message: str
    retryable: bool = False

    @classmethod
    def from_exception(cls, exc: Exception) -> "ErrorEvent":
        return cls(kind=type(exc).__name__, message=str(exc), retryable=bool(getattr(exc, "retryable", False)))


Event = TextDelta | ThinkingDelta | ToolCallStart | ToolCallDelta | ToolCallEnd | UsageEvent | Done | ErrorEvent
