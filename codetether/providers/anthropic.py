"""Anthropic Messages API (``anthropic-version: 2023-06-01``): JSON and SSE, tool_use, thinking."""

from typing import Any

import msgspec

from . import transform
from .errors import MalformedResponse, StreamInterrupted
from .failures import classify, decode_json
from .sse import SSEDecoder
from .types import (
    Done,
    Event,
    ImagePart,
    Message,
    Request,
    Response,
    StopReason,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageEvent,
)
from .wire import HTTPProvider

API_VERSION = "2023-06-01"

_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "content_filter",
    "pause_turn": "other",
}


def _blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, ThinkingPart):
            if part.signature:  # unsigned thinking cannot be replayed; the API would reject it
                blocks.append({"type": "thinking", "thinking": part.text, "signature": part.signature})
        elif isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            source = {"type": "base64", "media_type": part.media_type, "data": part.data}
            blocks.append({"type": "image", "source": source})
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments_object()})
    return blocks


def messages_payload(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """System text, and turns in Anthropic's shape.

    Tool results travel as ``tool_result`` blocks in a *user* turn, and consecutive results must share
    one turn (the API rejects two user turns in a row).
    """
    system = "\n\n".join(m.text for m in messages if m.role == "system") or None
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            images = [p for p in message.content if isinstance(p, ImagePart)]
            content: Any = message.text
            if images:
                content = [{"type": "text", "text": message.text}]
                content += [
                    {"type": "image", "source": {"type": "base64", "media_type": p.media_type, "data": p.data}}
                    for p in images
                ]
            block = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": content}
            if message.is_error:
                block["is_error"] = True
            if turns and turns[-1]["role"] == "user" and turns[-1]["content"][-1:][0].get("type") == "tool_result":
                turns[-1]["content"].append(block)
            else:
                turns.append({"role": "user", "content": [block]})
            continue
        turns.append({"role": message.role, "content": _blocks(message)})
    return system, turns


def _usage(data: dict[str, Any] | None, base: Usage | None = None) -> Usage:
    usage = msgspec.structs.replace(base) if base else Usage()
    if not data:
        return usage
    if data.get("input_tokens") is not None:
        usage.input_tokens = data["input_tokens"]
    if data.get("output_tokens") is not None:
        usage.output_tokens = data["output_tokens"]
    if data.get("cache_read_input_tokens") is not None:
        usage.cache_read_tokens = data["cache_read_input_tokens"]
    if data.get("cache_creation_input_tokens") is not None:
        usage.cache_write_tokens = data["cache_creation_input_tokens"]
    return usage


class AnthropicProvider(HTTPProvider):
    """POST {base_url}/v1/messages."""

    def url(self, request: Request, stream: bool) -> str:
        return f"{(self.settings.base_url or 'https://api.anthropic.com').rstrip('/')}/v1/messages"

    def headers(self, request: Request, stream: bool, body: bytes) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION, **self.settings.headers}
        if self.settings.api_key:
            headers["x-api-key"] = self.settings.api_key
        if stream:
            headers["Accept"] = "text/event-stream"
        return headers

    def body(self, request: Request, stream: bool) -> bytes:
        system, turns = messages_payload(request.messages)
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or transform.ANTHROPIC_DEFAULT_MAX_TOKENS,
            "messages": turns,
        }
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools
            ]
        temperature = transform.clamp_temperature(self.name, request.temperature)
        if temperature is not None:
            body["temperature"] = temperature
        if request.stop:
            body["stop_sequences"] = request.stop
        if stream:
            body["stream"] = True
        return msgspec.json.encode(body)

    def parse_response(self, data: bytes, request: Request) -> Response:
        payload = decode_json(self.name, data)
        if not isinstance(payload, dict) or not isinstance(payload.get("content"), list):
            raise MalformedResponse(self.name, f"response has no content list: {str(payload)[:200]}")
        content: list = []
        calls: list[ToolCall] = []
        for block in payload["content"]:
            kind = block.get("type")
            if kind == "text":
                content.append(TextPart(text=block.get("text", "")))
            elif kind == "thinking":
                content.append(ThinkingPart(text=block.get("thinking", ""), signature=block.get("signature")))
            elif kind == "tool_use":
                calls.append(ToolCall.from_input(block["id"], block["name"], block.get("input")))
        return Response(
            message=Message(role="assistant", content=content, tool_calls=calls),
            usage=_usage(payload.get("usage")),
            stop_reason=_STOP_REASONS.get(payload.get("stop_reason") or "end_turn", "other"),
            model=payload.get("model") or request.model,
        )

    def stream_parser(self, request: Request) -> "AnthropicStreamParser":
        return AnthropicStreamParser(self.name, request.model)


class AnthropicStreamParser:
    """``message_start`` / ``content_block_*`` / ``message_delta`` / ``message_stop`` -> events."""

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.sse = SSEDecoder()
        self.blocks: dict[int, list] = {}  # index -> [type, id, name, [json pieces]]
        self.usage = Usage()
        self.stop: StopReason = "end_turn"
        self.done = False

    def feed(self, chunk: bytes) -> list[Event]:
        events: list[Event] = []
        for sse in self.sse.feed(chunk):
            payload = decode_json(self.provider, sse.data)
            kind = payload.get("type") if isinstance(payload, dict) else None
            if kind == "content_block_delta":
                self._delta(payload, events)
            elif kind == "content_block_start":
                self._start(payload, events)
            elif kind == "content_block_stop":
                self._stop(payload.get("index", 0), events)
            elif kind == "message_start":
                message = payload.get("message") or {}
                self.model = message.get("model") or self.model
                self.usage = _usage(message.get("usage"))
            elif kind == "message_delta":
                reason = (payload.get("delta") or {}).get("stop_reason")
                if reason:
                    self.stop = _STOP_REASONS.get(reason, "other")
                self.usage = _usage(payload.get("usage"), self.usage)
            elif kind == "message_stop":
                events.append(UsageEvent(usage=self.usage))
                events.append(Done(stop_reason=self.stop, model=self.model))
                self.done = True
            elif kind == "error":
                error = payload.get("error") or {}
                status = 529 if error.get("type") == "overloaded_error" else 500
                if error.get("type") in ("invalid_request_error",):
                    status = 400
                raise classify(self.provider, status, sse.data, {}, None)
            elif kind is None:
                raise MalformedResponse(self.provider, f"unexpected stream event: {sse.data[:200]!r}")
        return events

    def _start(self, payload: dict[str, Any], events: list[Event]) -> None:
        index = payload.get("index", 0)
        block = payload.get("content_block") or {}
        kind = block.get("type")
        self.blocks[index] = [kind, block.get("id"), block.get("name"), []]
        if kind == "tool_use":
            events.append(ToolCallStart(index=index, id=block["id"], name=block["name"]))
        elif kind == "text" and block.get("text"):
            events.append(TextDelta(text=block["text"]))

    def _delta(self, payload: dict[str, Any], events: list[Event]) -> None:
        index = payload.get("index", 0)
        delta = payload.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta":
            events.append(TextDelta(text=delta.get("text", "")))
        elif kind == "input_json_delta":
            piece = delta.get("partial_json", "")
            if index in self.blocks:
                self.blocks[index][3].append(piece)
            if piece:
                events.append(ToolCallDelta(index=index, arguments=piece))
        elif kind == "thinking_delta":
            events.append(ThinkingDelta(text=delta.get("thinking", "")))
        elif kind == "signature_delta":
            events.append(ThinkingDelta(signature=delta.get("signature")))

    def _stop(self, index: int, events: list[Event]) -> None:
        block = self.blocks.pop(index, None)
        if block and block[0] == "tool_use":
            arguments = "".join(block[3]) or "{}"
            events.append(ToolCallEnd(index=index, call=ToolCall(id=block[1], name=block[2], arguments=arguments)))

    def close(self) -> list[Event]:
        if not self.done:
            raise StreamInterrupted(self.provider, "the stream ended before message_stop")
        return []
