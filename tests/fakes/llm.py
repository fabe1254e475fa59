"""A fake LLM server on 127.0.0.1 that speaks four real wire formats, scripted per test.

Formats: OpenAI Chat Completions, Anthropic Messages, Gemini generateContent, Bedrock Converse —
each JSON and streaming (SSE, or AWS event-stream for Bedrock). Each request takes the next item
of the script: a ``Reply`` (text, thinking, tool calls, usage) or a ``Fault`` (an HTTP error with
the vendor's own error body, optionally echoing the request's key as some APIs do, a hang before
the headers, a stall mid-stream, a connection reset mid-stream, a malformed chunk, a context-length
error). A hang or stall lasts ``seconds`` or until the server stops, whichever comes first.
Every request is recorded and checked against the conversation invariants: each tool result
answers an earlier tool call with the same id, and no tool call is left unanswered when the next
user turn arrives. A violation is answered with 400 and kept in ``violations``.
"""

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import eventstream

_ids = itertools.count(1)


@dataclass
class Call:
    name: str
    arguments: dict[str, Any]
    id: str = field(default_factory=lambda: f"call_{next(_ids):04d}")


@dataclass
class Reply:
    text: str = ""
    thinking: str = ""
    calls: list[Call] = field(default_factory=list)
    input_tokens: int = 12
    output_tokens: int = 7
    chunk: int = 3  # characters per streamed text or argument fragment
    stop: str | None = None  # "max_tokens" to simulate truncation


@dataclass
class Fault:
    kind: str  # status | hang | stall | reset | malformed | context_length
    status: int = 500
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 30.0
    after_events: int = 2
    reply: Reply | None = None
    echo_key: bool = False  # the error message repeats the API key the request carried


@dataclass
class Recorded:
    format: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    stream: bool


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


# --- conversation invariants --------------------------------------------------------------------


def conversation(fmt: str, body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The request as (turn kind, ids) with kinds: calls, results, user. Gemini has no ids: uses names."""
    turns: list[tuple[str, list[str]]] = []
    if fmt == "openai":
        for m in body.get("messages", []):
            if m["role"] == "assistant" and m.get("tool_calls"):
                turns.append(("calls", [c["id"] for c in m["tool_calls"]]))
            elif m["role"] == "tool":
                turns.append(("results", [m["tool_call_id"]]))
            elif m["role"] == "user":
                turns.append(("user", []))
    elif fmt in ("anthropic", "bedrock"):
        use, result, key = (
            ("tool_use", "tool_result", "type") if fmt == "anthropic" else ("toolUse", "toolResult", None)
        )
        for m in body.get("messages", []):
            blocks = m["content"] if isinstance(m["content"], list) else [{"type": "text"}]
            if fmt == "anthropic":
                calls = [b["id"] for b in blocks if b.get(key) == use]
                results = [b["tool_use_id"] for b in blocks if b.get(key) == result]
            else:
                calls = [b[use]["toolUseId"] for b in blocks if use in b]
                results = [b[result]["toolUseId"] for b in blocks if result in b]
            if calls:
                turns.append(("calls", calls))
            if results:
                turns.append(("results", results))
            if m["role"] == "user" and not results:
                turns.append(("user", []))
    elif fmt == "gemini":
        for c in body.get("contents", []):
            calls = [p["functionCall"]["name"] for p in c["parts"] if "functionCall" in p]
            results = [p["functionResponse"]["name"] for p in c["parts"] if "functionResponse" in p]
            if calls:
                turns.append(("calls", calls))
            if results:
                turns.append(("results", results))
            if c["role"] == "user" and not results:
                turns.append(("user", []))
    return turns


def check_invariants(fmt: str, body: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    pending: list[str] = []
    for kind, ids in conversation(fmt, body):
        if kind == "calls":
            if pending:
                problems.append(f"new tool calls while {pending} are unanswered")
            pending = list(ids)
        elif kind == "results":
            for i in ids:
                if i not in pending:
                    problems.append(f"tool result {i!r} answers no pending tool call")
                else:
                    pending.remove(i)
        elif kind == "user" and pending:
            problems.append(f"user turn arrived while tool calls {pending} are unanswered")
    return problems


# --- the server ---------------------------------------------------------------------------------


class FakeLLM:
    def __init__(self) -> None:
        self.queue: list[Reply | Fault] = []
        self.routes: dict[str, list[Reply | Fault]] = {}
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.byte_chunk: int | None = None  # split stream writes into pieces of this many bytes
        self.models = ["fake-large", "fake-small"]
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()  # ends every hang and stall, so stopping never waits them out
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *items: Reply | Fault) -> None:
        self.queue.extend(items)

    def route(self, key: str, *items: Reply | Fault) -> None:
        """Replies for requests whose body contains ``key`` (concurrent agents each get their own script)."""
        self.routes.setdefault(key, []).extend(items)

    async def start(self) -> "FakeLLM":
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_post("/v1beta/models/{model}", self._gemini)
        app.router.add_post("/model/{model}/{op}", self._bedrock)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1beta/models", self._list_models_gemini)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner:
            await self._runner.cleanup()

    # --- dispatch ---------------------------------------------------------------------------------
    async def _take(self, request: web.Request, fmt: str, stream: bool) -> tuple[dict[str, Any], Reply | Fault]:
        body = await request.json()
        self.requests.append(Recorded(fmt, request.path, dict(request.headers), body, stream))
        problems = check_invariants(fmt, body)
        if problems:
            self.violations.extend(problems)
            raise web.HTTPBadRequest(
                text=json.dumps({"error": {"message": "invariant violated: " + "; ".join(problems)}})
            )
        if self.routes:
            text = json.dumps(body, ensure_ascii=False)
            for key, items in self.routes.items():
                if key in text:
                    if not items:
                        self.violations.append(f"route {key!r} exhausted")
                        raise web.HTTPInternalServerError(text=json.dumps({"error": {"message": "route exhausted"}}))
                    return body, items.pop(0)
        if not self.queue:
            self.violations.append("script exhausted: a request arrived with no scripted reply")
            raise web.HTTPInternalServerError(text=json.dumps({"error": {"message": "fake server: script exhausted"}}))
        return body, self.queue.pop(0)

    async def _serve(self, request: web.Request, fmt: str, stream: bool, model: str) -> web.StreamResponse:
        _, item = await self._take(request, fmt, stream)
        if isinstance(item, Fault):
            if item.kind == "hang":
                await self._pause(item.seconds)
                item = item.reply or Reply(text="late")
            elif item.kind in ("status", "context_length"):
                return self._error(fmt, item, request.headers)
        if isinstance(item, Fault):  # reset / malformed / stall: stream some of the reply, then break
            frames = self._frames(fmt, item.reply or Reply(text="partial answer " * 4), model)
            kept = frames[: item.after_events]
            if item.kind == "malformed":
                kept.append(self._malformed(fmt))
            pause = item.seconds if item.kind == "stall" else 0.0
            return await self._write_stream(request, fmt, kept, abort=item.kind in ("reset", "stall"), pause=pause)
        if not stream:
            return web.json_response(self._json(fmt, item, model))
        return await self._write_stream(request, fmt, self._frames(fmt, item, model), abort=False)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _write_stream(self, request: web.Request, fmt: str, frames: list[bytes], abort: bool, pause: float = 0):
        content_type = "application/vnd.amazon.eventstream" if fmt == "bedrock" else "text/event-stream"
        response = web.StreamResponse(headers={"Content-Type": content_type, "Cache-Control": "no-cache"})
        await response.prepare(request)
        for frame in frames:
            if self.byte_chunk:
                for i in range(0, len(frame), self.byte_chunk):
                    await response.write(frame[i : i + self.byte_chunk])
                    await asyncio.sleep(0)
            else:
                await response.write(frame)
        if pause:
            await self._pause(pause)
        if abort:
            await asyncio.sleep(0.05)  # let the client read what was sent, then cut the connection
            assert request.transport is not None
            request.transport.abort()
            return response
        await response.write_eof()
        return response

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        return await self._serve(request, "openai", bool(body.get("stream")), body.get("model", "?"))

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        return await self._serve(request, "anthropic", bool(body.get("stream")), body.get("model", "?"))

    async def _gemini(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["model"].partition(":")
        if method not in ("generateContent", "streamGenerateContent"):
            raise web.HTTPNotFound()
        return await self._serve(request, "gemini", method == "streamGenerateContent", model)

    async def _bedrock(self, request: web.Request) -> web.StreamResponse:
        op = request.match_info["op"]
        if op not in ("converse", "converse-stream"):
            raise web.HTTPNotFound()
        return await self._serve(request, "bedrock", op == "converse-stream", request.match_info["model"])

    async def _list_models(self, request: web.Request) -> web.Response:
        if "anthropic-version" in request.headers:
            data = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"} for m in self.models
            ]
            return web.json_response({"data": data, "has_more": False, "first_id": None, "last_id": None})
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _list_models_gemini(self, request: web.Request) -> web.Response:
        models = [
            {
                "name": f"models/{m}",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent"],
            }
            for m in self.models
        ]
        return web.json_response({"models": models})

    # --- errors -----------------------------------------------------------------------------------
    def _error(self, fmt: str, fault: Fault, request_headers: Any) -> web.Response:
        status = 400 if fault.kind == "context_length" else fault.status
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        context = fault.kind == "context_length"
        failure = f"fake error {status}"
        if fault.echo_key:  # as OpenAI's 401 does: "Incorrect API key provided: sk-..."
            key = request_headers.get("Authorization", "").removeprefix("Bearer ")
            key = key or request_headers.get("x-api-key") or request_headers.get("x-goog-api-key", "")
            failure = f"Incorrect API key provided: {key}. You can find your API key in your account settings."
        if fmt == "openai":
            message = (
                (
                    "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                    "131072 tokens."
                )
                if context
                else failure
            )
            code = "context_length_exceeded" if context else ("rate_limit_exceeded" if status == 429 else None)
            body: Any = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
        elif fmt == "anthropic":
            kinds = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error", 500: "api_error"}
            message = "prompt is too long: 210000 tokens > 200000 maximum" if context else failure
            body = {"type": "error", "error": {"type": kinds.get(status, "invalid_request_error"), "message": message}}
        elif fmt == "gemini":
            statuses = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
            message = (
                "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
                if context
                else failure
            )
            body = {"error": {"code": status, "message": message, "status": statuses.get(status, "INVALID_ARGUMENT")}}
        else:
            kinds = {
                429: "ThrottlingException",
                500: "InternalServerException",
                403: "AccessDeniedException",
                503: "ServiceUnavailableException",
            }
            kind = kinds.get(status, "ValidationException")
            headers["x-amzn-ErrorType"] = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
            body = {"message": "Input is too long for requested model." if context else failure}
        return web.json_response(body, status=status, headers=headers)

    def _malformed(self, fmt: str) -> bytes:
        if fmt == "bedrock":
            frame = bytearray(eventstream.event("contentBlockDelta", b'{"contentBlockIndex":0}'))
            frame[-1] ^= 0xFF  # corrupt the message CRC
            return bytes(frame)
        return b'data: {"choices": [{"delta": {"content": "x"\n\n'

    # --- replies: JSON ----------------------------------------------------------------------------
    def _json(self, fmt: str, r: Reply, model: str) -> dict[str, Any]:
        stop = r.stop or ("tool_use" if r.calls else "end_turn")
        if fmt == "openai":
            message: dict[str, Any] = {"role": "assistant", "content": r.text or None}
            if r.thinking:
                message["reasoning_content"] = r.thinking
            if r.calls:
                message["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                    for c in r.calls
                ]
            finish = {"tool_use": "tool_calls", "end_turn": "stop", "max_tokens": "length"}[stop]
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": r.input_tokens,
                    "completion_tokens": r.output_tokens,
                    "total_tokens": r.input_tokens + r.output_tokens,
                },
            }
        if fmt == "anthropic":
            content: list[dict[str, Any]] = []
            if r.thinking:
                content.append({"type": "thinking", "thinking": r.thinking, "signature": "sig-fake"})
            if r.text:
                content.append({"type": "text", "text": r.text})
            content += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in r.calls]
            return {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": r.input_tokens,
                    "output_tokens": r.output_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            }
        if fmt == "gemini":
            parts: list[dict[str, Any]] = []
            if r.thinking:
                parts.append({"text": r.thinking, "thought": True})
            if r.text:
                parts.append({"text": r.text})
            parts += [{"functionCall": {"name": c.name, "args": c.arguments}} for c in r.calls]
            return {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": parts},
                        "finishReason": "MAX_TOKENS" if stop == "max_tokens" else "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": r.input_tokens,
                    "candidatesTokenCount": r.output_tokens,
                    "totalTokenCount": r.input_tokens + r.output_tokens,
                },
                "modelVersion": model,
            }
        blocks: list[dict[str, Any]] = []
        if r.thinking:
            blocks.append({"reasoningContent": {"reasoningText": {"text": r.thinking, "signature": "sig-fake"}}})
        if r.text:
            blocks.append({"text": r.text})
        blocks += [{"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.arguments}} for c in r.calls]
        return {
            "output": {"message": {"role": "assistant", "content": blocks}},
            "stopReason": stop,
            "usage": {
                "inputTokens": r.input_tokens,
                "outputTokens": r.output_tokens,
                "totalTokens": r.input_tokens + r.output_tokens,
            },
            "metrics": {"latencyMs": 12},
        }

    # --- replies: streams ---------------------------------------------------------------------------
    def _frames(self, fmt: str, r: Reply, model: str) -> list[bytes]:
        return {
            "openai": self._openai_frames,
            "anthropic": self._anthropic_frames,
            "gemini": self._gemini_frames,
            "bedrock": self._bedrock_frames,
        }[fmt](r, model)

    def _openai_frames(self, r: Reply, model: str) -> list[bytes]:
        def chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: dict | None = None) -> bytes:
            payload: dict[str, Any] = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if usage:
                payload["usage"] = usage
            return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"

        frames = [chunk({"role": "assistant", "content": ""})]
        frames += [chunk({"reasoning_content": p}) for p in pieces(r.thinking, r.chunk)]
        frames += [chunk({"content": p}) for p in pieces(r.text, r.chunk)]
        for index, c in enumerate(r.calls):
            frames.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": ""},
                            }
                        ]
                    }
                )
            )
            for p in pieces(json.dumps(c.arguments, ensure_ascii=False), r.chunk):
                frames.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": p}}]}))
        finish = "length" if r.stop == "max_tokens" else ("tool_calls" if r.calls else "stop")
        frames.append(chunk({}, finish))
        frames.append(
            chunk(
                None,
                usage={
                    "prompt_tokens": r.input_tokens,
                    "completion_tokens": r.output_tokens,
                    "total_tokens": r.input_tokens + r.output_tokens,
                },
            )
        )
        frames.append(b"data: [DONE]\n\n")
        return frames

    def _anthropic_frames(self, r: Reply, model: str) -> list[bytes]:
        def ev(name: str, payload: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: ".encode() + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"

        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": r.input_tokens, "output_tokens": 1},
        }
        frames = [ev("message_start", {"type": "message_start", "message": message}), ev("ping", {"type": "ping"})]
        index = 0
        if r.thinking:
            frames.append(
                ev(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "thinking", "thinking": ""},
                    },
                )
            )
            frames += [
                ev(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": {"type": "thinking_delta", "thinking": p}},
                )
                for p in pieces(r.thinking, r.chunk)
            ]
            frames.append(
                ev(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "signature_delta", "signature": "sig-fake"},
                    },
                )
            )
            frames.append(ev("content_block_stop", {"type": "content_block_stop", "index": index}))
            index += 1
        if r.text:
            frames.append(
                ev(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
                )
            )
            frames += [
                ev(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": p}},
                )
                for p in pieces(r.text, r.chunk)
            ]
            frames.append(ev("content_block_stop", {"type": "content_block_stop", "index": index}))
            index += 1
        for c in r.calls:
            frames.append(
                ev(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "tool_use", "id": c.id, "name": c.name, "input": {}},
                    },
                )
            )
            frames += [
                ev(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": p},
                    },
                )
                for p in pieces(json.dumps(c.arguments, ensure_ascii=False), r.chunk)
            ]
            frames.append(ev("content_block_stop", {"type": "content_block_stop", "index": index}))
            index += 1
        stop = r.stop or ("tool_use" if r.calls else "end_turn")
        frames.append(
            ev(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": r.output_tokens},
                },
            )
        )
        frames.append(ev("message_stop", {"type": "message_stop"}))
        return frames

    def _gemini_frames(self, r: Reply, model: str) -> list[bytes]:
        def chunk(parts: list[dict[str, Any]], finish: str | None = None, usage: bool = False) -> bytes:
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
            if finish:
                candidate["finishReason"] = finish
            payload: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
            if usage:
                payload["usageMetadata"] = {
                    "promptTokenCount": r.input_tokens,
                    "candidatesTokenCount": r.output_tokens,
                    "totalTokenCount": r.input_tokens + r.output_tokens,
                }
            # Gemini frames its SSE with CRLF line endings.
            return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\r\n\r\n"

        frames = [chunk([{"text": p, "thought": True}]) for p in pieces(r.thinking, r.chunk)]
        frames += [chunk([{"text": p}]) for p in pieces(r.text, r.chunk)]
        if r.calls:
            frames.append(chunk([{"functionCall": {"name": c.name, "args": c.arguments}} for c in r.calls]))
        frames.append(chunk([{"text": ""}], "MAX_TOKENS" if r.stop == "max_tokens" else "STOP", usage=True))
        return frames

    def _bedrock_frames(self, r: Reply, model: str) -> list[bytes]:
        def ev(name: str, payload: dict[str, Any]) -> bytes:
            return eventstream.event(name, json.dumps(payload, ensure_ascii=False).encode())

        frames = [ev("messageStart", {"role": "assistant"})]
        index = 0
        if r.thinking:
            frames += [
                ev("contentBlockDelta", {"contentBlockIndex": index, "delta": {"reasoningContent": {"text": p}}})
                for p in pieces(r.thinking, r.chunk)
            ]
            frames.append(ev("contentBlockStop", {"contentBlockIndex": index}))
            index += 1
        if r.text:
            frames += [
                ev("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": p}})
                for p in pieces(r.text, r.chunk)
            ]
            frames.append(ev("contentBlockStop", {"contentBlockIndex": index}))
            index += 1
        for c in r.calls:
            frames.append(
                ev(
                    "contentBlockStart",
                    {"contentBlockIndex": index, "start": {"toolUse": {"toolUseId": c.id, "name": c.name}}},
                )
            )
            frames += [
                ev("contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": p}}})
                for p in pieces(json.dumps(c.arguments, ensure_ascii=False), r.chunk)
            ]
            frames.append(ev("contentBlockStop", {"contentBlockIndex": index}))
            index += 1
        frames.append(ev("messageStop", {"stopReason": r.stop or ("tool_use" if r.calls else "end_turn")}))
        frames.append(
            ev(
                "metadata",
                {
                    "usage": {
                        "inputTokens": r.input_tokens,
                        "outputTokens": r.output_tokens,
                        "totalTokens": r.input_tokens + r.output_tokens,
                    },
                    "metrics": {"latencyMs": 12},
                },
            )
        )
        return frames
