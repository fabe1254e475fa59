"""Amazon Bedrock Converse / ConverseStream: JSON requests, AWS event-stream responses.

Auth is a Bedrock API key (``AWS_BEARER_TOKEN_BEDROCK``, sent as a bearer token) or SigV4 with
the usual ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``.
"""

from typing import Any
from urllib.parse import quote

import msgspec

from ..secrets.redaction import register_secret
from . import transform
from .errors import AuthError, MalformedResponse, StreamInterrupted
from .eventstream import EventStreamDecoder, EventStreamError
from .failures import classify, decode_json
from .sigv4 import sign
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
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}

# Exception names in event-stream exception frames -> the HTTP status the same failure has as a response.
_EXCEPTION_STATUS = {
    "throttlingException": 429,
    "serviceUnavailableException": 503,
    "internalServerException": 500,
    "modelStreamErrorException": 500,
    "validationException": 400,
    "accessDeniedException": 403,
}


def _content(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, ThinkingPart) and part.signature:
            text = {"text": part.text, "signature": part.signature}
            blocks.append({"reasoningContent": {"reasoningText": text}})
        elif isinstance(part, TextPart) and part.text:
            blocks.append({"text": part.text})
        elif isinstance(part, ImagePart):
            image = {"format": transform.bedrock_image_format(part.media_type), "source": {"bytes": part.data}}
            blocks.append({"image": image})
    for call in message.tool_calls:
        blocks.append({"toolUse": {"toolUseId": call.id, "name": call.name, "input": call.arguments_object()}})
    return blocks


def converse_payload(request: Request) -> dict[str, Any]:
    system = [{"text": m.text} for m in request.messages if m.role == "system" and m.text]
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            images = [
                {"image": {"format": transform.bedrock_image_format(p.media_type), "source": {"bytes": p.data}}}
                for p in message.content
                if isinstance(p, ImagePart)
            ]
            result = {
                "toolUseId": message.tool_call_id,
                "content": [{"text": message.text}, *images],
                "status": "error" if message.is_error else "success",
            }
            last = messages[-1] if messages else None
            if last and last["role"] == "user" and "toolResult" in last["content"][-1]:
                last["content"].append({"toolResult": result})  # one user turn answers all of a turn's calls
            else:
                messages.append({"role": "user", "content": [{"toolResult": result}]})
            continue
        messages.append({"role": message.role, "content": _content(message)})
    body: dict[str, Any] = {"messages": messages}
    if system:
        body["system"] = system
    config: dict[str, Any] = {}
    if request.max_tokens is not None:
        config["maxTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.stop:
        config["stopSequences"] = request.stop
    if config:
        body["inferenceConfig"] = config
    if request.tools:
        specs = [
            {"toolSpec": {"name": t.name, "description": t.description, "inputSchema": {"json": t.parameters}}}
            for t in request.tools
        ]
        body["toolConfig"] = {"tools": specs}
    return body


def _usage(data: dict[str, Any] | None) -> Usage:
    data = data or {}
    return Usage(
        input_tokens=data.get("inputTokens") or 0,
        output_tokens=data.get("outputTokens") or 0,
        cache_read_tokens=data.get("cacheReadInputTokens") or 0,
        cache_write_tokens=data.get("cacheWriteInputTokens") or 0,
    )


class BedrockProvider(HTTPProvider):
    def url(self, request: Request, stream: bool) -> str:
        base = (self.settings.base_url or f"https://bedrock-runtime.{self.settings.region}.amazonaws.com").rstrip("/")
        return f"{base}/model/{quote(request.model, safe='')}/{'converse-stream' if stream else 'converse'}"

    def headers(self, request: Request, stream: bool, body: bytes) -> dict[str, str]:
        headers = {"Accept": "application/vnd.amazon.eventstream" if stream else "application/json"}
        headers.update(self.settings.headers)
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
            return headers
        access, secret = self.settings.aws_access_key_id, self.settings.aws_secret_access_key
        if not access or not secret:
            raise AuthError(
                self.name,
                "no credentials: neither AWS_BEARER_TOKEN_BEDROCK nor AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY is set",
                "export one of them, or run `codetether auth login bedrock` with a Bedrock API key",
            )
        session_token = self.settings.aws_session_token
        register_secret(secret)
        register_secret(session_token)
        return sign(
            "POST",
            self.url(request, stream),
            {**headers, "Content-Type": self.content_type},
            body,
            access_key=access,
            secret_key=secret,
            session_token=session_token,
            region=self.settings.region or "us-east-1",
            service="bedrock",
        )

    def body(self, request: Request, stream: bool) -> bytes:
        return msgspec.json.encode(converse_payload(request))

    def parse_response(self, data: bytes, request: Request) -> Response:
        payload = decode_json(self.name, data)
        try:
            blocks = payload["output"]["message"]["content"]
        except (KeyError, TypeError) as exc:
            raise MalformedResponse(self.name, f"response has no output.message: {str(payload)[:200]}") from exc
        content: list = []
        calls: list[ToolCall] = []
        for block in blocks:
            if "text" in block:
                content.append(TextPart(text=block["text"]))
            elif "toolUse" in block:
                use = block["toolUse"]
                calls.append(ToolCall.from_input(use["toolUseId"], use["name"], use.get("input")))
            elif "reasoningContent" in block:
                reasoning = block["reasoningContent"].get("reasoningText") or {}
                content.append(ThinkingPart(text=reasoning.get("text", ""), signature=reasoning.get("signature")))
        return Response(
            message=Message(role="assistant", content=content, tool_calls=calls),
            usage=_usage(payload.get("usage")),
            stop_reason=_STOP_REASONS.get(payload.get("stopReason") or "end_turn", "other"),
            model=request.model,
        )

    def stream_parser(self, request: Request) -> "BedrockStreamParser":
        return BedrockStreamParser(self.name, request.model)


class BedrockStreamParser:
    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.decoder = EventStreamDecoder()
        self.tools: dict[int, list] = {}  # block index -> [id, name, [input pieces]]
        self.stop: StopReason | None = None
        self.usage: Usage | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        try:
            messages = self.decoder.feed(chunk)
        except EventStreamError as exc:
            raise MalformedResponse(self.provider, f"corrupt event stream: {exc}") from exc
        events: list[Event] = []
        for message in messages:
            if message.headers.get(":message-type") == "exception":
                name = str(message.headers.get(":exception-type", "exception"))
                status = _EXCEPTION_STATUS.get(name, 500)
                raise classify(self.provider, status, message.payload, {}, None)
            kind = message.headers.get(":event-type")
            payload = decode_json(self.provider, message.payload) if message.payload else {}
            index = payload.get("contentBlockIndex", 0)
            if kind == "contentBlockDelta":
                delta = payload.get("delta") or {}
                if "text" in delta:
                    events.append(TextDelta(text=delta["text"]))
                elif "toolUse" in delta and index in self.tools:
                    piece = delta["toolUse"].get("input", "")
                    self.tools[index][2].append(piece)
                    events.append(ToolCallDelta(index=index, arguments=piece))
                elif "reasoningContent" in delta:
                    reasoning = delta["reasoningContent"]
                    events.append(ThinkingDelta(text=reasoning.get("text", ""), signature=reasoning.get("signature")))
            elif kind == "contentBlockStart":
                use = (payload.get("start") or {}).get("toolUse")
                if use:
                    self.tools[index] = [use["toolUseId"], use["name"], []]
                    events.append(ToolCallStart(index=index, id=use["toolUseId"], name=use["name"]))
            elif kind == "contentBlockStop":
                tool = self.tools.pop(index, None)
                if tool:
                    call = ToolCall(id=tool[0], name=tool[1], arguments="".join(tool[2]) or "{}")
                    events.append(ToolCallEnd(index=index, call=call))
            elif kind == "messageStop":
                self.stop = _STOP_REASONS.get(payload.get("stopReason") or "end_turn", "other")
            elif kind == "metadata":
                self.usage = _usage(payload.get("usage"))
        return events

    def close(self) -> list[Event]:
        if self.stop is None or self.decoder.pending:
            raise StreamInterrupted(self.provider, "the event stream ended before messageStop")
        events: list[Event] = [UsageEvent(usage=self.usage)] if self.usage else []
        events.append(Done(stop_reason=self.stop, model=self.model))
        return events
