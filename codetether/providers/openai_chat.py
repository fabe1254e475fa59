"""OpenAI Chat Completions (JSON and SSE) — also OpenRouter, Moonshot, Z.ai, StepFun, Copilot,
and any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp server)."""

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

_STOP_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "content_filter",
}


def _message(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text}
    if message.role == "assistant":
        out: dict[str, Any] = {"role": "assistant", "content": message.text or None}
        if message.tool_calls:
            out["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in message.tool_calls
            ]
        return out
    if any(isinstance(p, ImagePart) for p in message.content):
        parts: list[dict[str, Any]] = []
        for p in message.content:
            if isinstance(p, TextPart):
                parts.append({"type": "text", "text": p.text})
            elif isinstance(p, ImagePart):
                parts.append({"type": "image_url", "image_url": {"url": f"data:{p.media_type};base64,{p.data}"}})
        return {"role": message.role, "content": parts}
    return {"role": message.role, "content": message.text}


def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat messages; images returned by tools follow their tool messages in a user turn.

    Tool messages may only carry text in this API, so an image a tool produced (the `image` tool)
    travels in a user message placed right after the run of tool results.
    """
    out: list[dict[str, Any]] = []
    pending: list[ImagePart] = []
    for message in messages:
        if message.role != "tool" and pending:
            out.append(
                _message(Message(role="user", content=[TextPart(text="Images from the tool results:"), *pending]))
            )
            pending = []
        out.append(_message(message))
        if message.role == "tool":
            pending += [p for p in message.content if isinstance(p, ImagePart)]
    if pending:
        out.append(_message(Message(role="user", content=[TextPart(text="Images from the tool results:"), *pending])))
    return out


def _usage(data: dict[str, Any] | None) -> Usage:
    if not data:
        return Usage()
    prompt_details = data.get("prompt_tokens_details") or {}
    completion_details = data.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=data.get("prompt_tokens") or 0,
        output_tokens=data.get("completion_tokens") or 0,
        cache_read_tokens=prompt_details.get("cached_tokens") or 0,
        reasoning_tokens=completion_details.get("reasoning_tokens") or 0,
    )


class OpenAIChatProvider(HTTPProvider):
    """POST {base_url}/chat/completions."""

    def url(self, request: Request, stream: bool) -> str:
        return f"{(self.settings.base_url or 'https://api.openai.com/v1').rstrip('/')}/chat/completions"

    def headers(self, request: Request, stream: bool, body: bytes) -> dict[str, str]:
        headers = {**transform.openai_extra_headers(self.name), **self.settings.headers}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        if self.settings.organization:
            headers["OpenAI-Organization"] = self.settings.organization
        if stream:
            headers["Accept"] = "text/event-stream"
        return headers

    def body(self, request: Request, stream: bool) -> bytes:
        body: dict[str, Any] = {"model": request.model, "messages": _messages(request.messages)}
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in request.tools
            ]
        temperature = transform.clamp_temperature(self.name, request.temperature)
        if temperature is not None:
            body["temperature"] = temperature
        if request.max_tokens is not None:
            body[transform.openai_max_tokens_field(self.name, request.model)] = request.max_tokens
        if request.stop:
            body["stop"] = request.stop
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return msgspec.json.encode(body)

    def parse_response(self, data: bytes, request: Request) -> Response:
        payload = decode_json(self.name, data)
        try:
            choice = payload["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError) as exc:
            raise MalformedResponse(self.name, f"response has no choices[0].message: {str(payload)[:200]}") from exc
        content: list = []
        reasoning = transform.openai_reasoning(message)
        if reasoning:
            content.append(ThinkingPart(text=reasoning))
        if message.get("content"):
            content.append(TextPart(text=message["content"]))
        calls = [
            ToolCall(id=c["id"], name=c["function"]["name"], arguments=c["function"].get("arguments") or "{}")
            for c in message.get("tool_calls") or []
        ]
        return Response(
            message=Message(role="assistant", content=content, tool_calls=calls),
            usage=_usage(payload.get("usage")),
            stop_reason=_STOP_REASONS.get(choice.get("finish_reason") or "stop", "other"),
            model=payload.get("model") or request.model,
        )

    def stream_parser(self, request: Request) -> "OpenAIStreamParser":
        return OpenAIStreamParser(self.name, request.model)


class OpenAIStreamParser:
    """SSE chunks -> events. Tool-call fragments are reassembled by their ``index``."""

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.sse = SSEDecoder()
        self.calls: dict[int, list] = {}  # our index -> [id, name, [argument pieces]]
        self.slots: dict[int, int] = {}  # the server's index -> our index
        self.next_slot = 0
        self.finish: StopReason | None = None
        self.done = False

    def feed(self, chunk: bytes) -> list[Event]:
        events: list[Event] = []
        for sse in self.sse.feed(chunk):
            if sse.data == "[DONE]":
                events.extend(self._finish())
                continue
            payload = decode_json(self.provider, sse.data)
            if not isinstance(payload, dict):
                raise MalformedResponse(self.provider, f"unexpected stream chunk: {sse.data[:200]!r}")
            if "error" in payload:  # OpenRouter and some proxies report failures inside the stream
                status = payload["error"].get("code") if isinstance(payload["error"], dict) else None
                raise classify(self.provider, status if isinstance(status, int) else 500, sse.data, {}, None)
            self.model = payload.get("model") or self.model
            for choice in payload.get("choices") or ():
                self._choice(choice, events)
            if payload.get("usage"):
                events.append(UsageEvent(usage=_usage(payload["usage"])))
        return events

    def _choice(self, choice: dict[str, Any], events: list[Event]) -> None:
        delta = choice.get("delta") or {}
        reasoning = transform.openai_reasoning(delta)
        if reasoning:
            events.append(ThinkingDelta(text=reasoning))
        if delta.get("content"):
            events.append(TextDelta(text=delta["content"]))
        for fragment in delta.get("tool_calls") or ():
            index = self._slot(fragment)
            function = fragment.get("function") or {}
            state = self.calls.get(index)
            if state is None:
                state = self.calls[index] = [fragment.get("id") or f"call_{index}", function.get("name") or "", []]
                events.append(ToolCallStart(index=index, id=state[0], name=state[1]))
            elif function.get("name") and not state[1]:
                state[1] = function["name"]
            if function.get("arguments"):
                state[2].append(function["arguments"])
                events.append(ToolCallDelta(index=index, arguments=function["arguments"]))
        if choice.get("finish_reason"):
            self.finish = _STOP_REASONS.get(choice["finish_reason"], "other")
            events.extend(self._end_calls())

    def _slot(self, fragment: dict[str, Any]) -> int:
        """Our index for a fragment. Some servers omit `index` or reuse 0 for every call: a new `id` at an
        index already in use starts a new call instead of gluing two calls' arguments together."""
        server_index = fragment.get("index", 0)
        slot = self.slots.get(server_index)
        new_id = fragment.get("id")
        if slot is None or (new_id and new_id != self.calls[slot][0]):
            slot = self.slots[server_index] = self.next_slot
            self.next_slot += 1
        return slot

    def _end_calls(self) -> list[Event]:
        ended: list[Event] = [
            ToolCallEnd(index=i, call=ToolCall(id=s[0], name=s[1], arguments="".join(s[2]) or "{}"))
            for i, s in sorted(self.calls.items())
        ]
        self.calls = {}
        self.slots = {}
        return ended

    def _finish(self) -> list[Event]:
        if self.done:
            return []
        self.done = True
        events = self._end_calls()
        events.append(Done(stop_reason=self.finish or "end_turn", model=self.model))
        return events

    def close(self) -> list[Event]:
        if self.done:
            return []
        if self.finish is not None:  # some servers omit [DONE] after the finishing chunk
            return self._finish()
        raise StreamInterrupted(self.provider, "the stream ended before the model finished (no finish_reason)")
