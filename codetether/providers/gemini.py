"""Google Gemini native API: ``generateContent`` and ``streamGenerateContent?alt=sse`` with function calling."""

import uuid
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
    "STOP": "end_turn",
    "MAX_TOKENS": "max_tokens",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
}


def _parts(message: Message) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart) and part.text:
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append({"inlineData": {"mimeType": part.media_type, "data": part.data}})
    for call in message.tool_calls:
        parts.append({"functionCall": {"name": call.name, "args": call.arguments_object()}})
    return parts


def contents_payload(messages: list[Message]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """System instruction, and turns with roles ``user``/``model``; answers to one turn's calls share a turn."""
    system_text = "\n\n".join(m.text for m in messages if m.role == "system")
    system = {"parts": [{"text": system_text}]} if system_text else None
    contents: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            part = {"functionResponse": {"name": message.name or "tool", "response": {"content": message.text}}}
            if message.is_error:
                part["functionResponse"]["response"] = {"error": message.text}
            parts = [part] + [
                {"inlineData": {"mimeType": p.media_type, "data": p.data}}
                for p in message.content
                if isinstance(p, ImagePart)
            ]
            last = contents[-1] if contents else None
            if last and last["role"] == "user" and any("functionResponse" in p for p in last["parts"]):
                last["parts"].extend(parts)
            else:
                contents.append({"role": "user", "parts": parts})
            continue
        contents.append({"role": "model" if message.role == "assistant" else "user", "parts": _parts(message)})
    return system, contents


def _usage(data: dict[str, Any] | None) -> Usage:
    data = data or {}
    return Usage(
        input_tokens=data.get("promptTokenCount") or 0,
        output_tokens=(data.get("candidatesTokenCount") or 0) + (data.get("thoughtsTokenCount") or 0),
        cache_read_tokens=data.get("cachedContentTokenCount") or 0,
        reasoning_tokens=data.get("thoughtsTokenCount") or 0,
    )


def _call(part: dict[str, Any]) -> ToolCall:
    function = part["functionCall"]
    call_id = function.get("id") or f"call_{uuid.uuid4().hex[:12]}"  # older models send no id
    return ToolCall.from_input(call_id, function["name"], function.get("args"))


class GeminiProvider(HTTPProvider):
    def url(self, request: Request, stream: bool) -> str:
        base = (self.settings.base_url or "https://generativelanguage.googleapis.com").rstrip("/")
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"{base}/v1beta/models/{request.model}:{method}"

    def headers(self, request: Request, stream: bool, body: bytes) -> dict[str, str]:
        # The key goes in a header, not in ?key=, so it never lands in proxy or access logs.
        headers = dict(self.settings.headers)
        if self.settings.api_key:
            headers["x-goog-api-key"] = self.settings.api_key
        return headers

    def body(self, request: Request, stream: bool) -> bytes:
        system, contents = contents_payload(request.messages)
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = system
        if request.tools:
            declarations = [
                {"name": t.name, "description": t.description, "parameters": transform.gemini_schema(t.parameters)}
                for t in request.tools
            ]
            body["tools"] = [{"functionDeclarations": declarations}]
        config: dict[str, Any] = {}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.max_tokens is not None:
            config["maxOutputTokens"] = request.max_tokens
        if request.stop:
            config["stopSequences"] = request.stop
        if config:
            body["generationConfig"] = config
        return msgspec.json.encode(body)

    def parse_response(self, data: bytes, request: Request) -> Response:
        payload = decode_json(self.name, data)
        candidates = payload.get("candidates") if isinstance(payload, dict) else None
        if not candidates:
            feedback = payload.get("promptFeedback", {}) if isinstance(payload, dict) else {}
            if feedback.get("blockReason"):
                return Response(
                    message=Message.assistant(),
                    usage=_usage(payload.get("usageMetadata")),
                    stop_reason="content_filter",
                    model=request.model,
                )
            raise MalformedResponse(self.name, f"response has no candidates: {str(payload)[:200]}")
        candidate = candidates[0]
        text, calls, thinking = [], [], []
        for part in (candidate.get("content") or {}).get("parts") or []:
            if "functionCall" in part:
                calls.append(_call(part))
            elif part.get("thought"):
                thinking.append(part.get("text", ""))
            elif "text" in part:
                text.append(part["text"])
        content: list = [ThinkingPart(text="".join(thinking))] if thinking else []
        if text:
            content.append(TextPart(text="".join(text)))
        reason = _STOP_REASONS.get(candidate.get("finishReason") or "STOP", "other")
        return Response(
            message=Message(role="assistant", content=content, tool_calls=calls),
            usage=_usage(payload.get("usageMetadata")),
            stop_reason="tool_use" if calls and reason == "end_turn" else reason,
            model=payload.get("modelVersion") or request.model,
        )

    def stream_parser(self, request: Request) -> "GeminiStreamParser":
        return GeminiStreamParser(self.name, request.model)


class GeminiStreamParser:
    """Each SSE event is a whole GenerateContentResponse carrying the next parts."""

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.sse = SSEDecoder()
        self.index = 0
        self.any_call = False
        self.usage: Usage | None = None
        self.finish: StopReason | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        events: list[Event] = []
        for sse in self.sse.feed(chunk):
            payload = decode_json(self.provider, sse.data)
            if not isinstance(payload, dict):
                raise MalformedResponse(self.provider, f"unexpected stream chunk: {sse.data[:200]!r}")
            if "error" in payload:
                code = payload["error"].get("code") if isinstance(payload["error"], dict) else None
                raise classify(self.provider, code if isinstance(code, int) else 500, sse.data, {}, None)
            self.model = payload.get("modelVersion") or self.model
            if payload.get("usageMetadata"):
                self.usage = _usage(payload["usageMetadata"])
            for candidate in (payload.get("candidates") or [])[:1]:
                for part in (candidate.get("content") or {}).get("parts") or []:
                    self._part(part, events)
                if candidate.get("finishReason"):
                    self.finish = _STOP_REASONS.get(candidate["finishReason"], "other")
            if not payload.get("candidates") and (payload.get("promptFeedback") or {}).get("blockReason"):
                self.finish = "content_filter"
        return events

    def _part(self, part: dict[str, Any], events: list[Event]) -> None:
        if "functionCall" in part:
            call = _call(part)
            index = self.index
            self.index += 1
            self.any_call = True
            events.append(ToolCallStart(index=index, id=call.id, name=call.name))
            events.append(ToolCallDelta(index=index, arguments=call.arguments))
            events.append(ToolCallEnd(index=index, call=call))
        elif part.get("thought"):
            events.append(ThinkingDelta(text=part.get("text", "")))
        elif part.get("text"):
            events.append(TextDelta(text=part["text"]))

    def close(self) -> list[Event]:
        if self.finish is None:
            raise StreamInterrupted(self.provider, "the stream ended without a finishReason")
        events: list[Event] = []
        if self.usage is not None:
            events.append(UsageEvent(usage=self.usage))
        stop = "tool_use" if self.any_call and self.finish == "end_turn" else self.finish
        events.append(Done(stop_reason=stop, model=self.model))
        return events
