"""The client's JSON-RPC 2.0 + Server-Sent Events transport (aiohttp), for spec 1.0 and 0.3.

Spec 1.0 sends PascalCase methods with the ``A2A-Version: 1.0`` header and ProtoJSON params (the
domain types as they are); spec 0.3 sends slash-named methods without the header and 0.3's JSON
(``compat_v03``). Both read an error from the response body, from an SSE frame, or, for a stream
refused up front, from a plain JSON body in place of the event stream.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import msgspec

from ..domain import errors
from ..domain import types as t
from ..domain.versions import HEADER, V1
from ..wire import compat_v03 as v03
from . import decode
from .errors import A2AClientError, A2AConnectionError, auth_error, from_jsonrpc

_encode = msgspec.json.Encoder().encode


class _Reply(msgspec.Struct):
    result: msgspec.Raw = msgspec.Raw(b"null")  # 0.3 servers may leave it out (push config delete)
    error: dict[str, Any] | None = None


_decode_reply = msgspec.json.Decoder(_Reply).decode


@asynccontextmanager
async def http_errors(url: str, timeout: float | None = None) -> AsyncIterator[None]:
    """aiohttp's failures as one clear error naming ``url``."""
    try:
        yield
    except aiohttp.ClientConnectorError as exc:
        refused = isinstance(exc.os_error, ConnectionRefusedError)
        reason = "connection refused" if refused else exc.os_error.strerror or str(exc.os_error)
        raise A2AConnectionError(
            f"cannot reach the agent at {url}: {reason}", "is it running, and is the URL right?"
        ) from exc
    except TimeoutError as exc:  # aiohttp's ServerTimeoutError is one too
        limit = f" within {timeout:g} s" if timeout else " in time"
        raise A2AConnectionError(f"the agent at {url} did not answer{limit}") from exc
    except aiohttp.InvalidURL as exc:
        raise A2AClientError(f"{url!r} is not a URL", "give an http:// or https:// URL") from exc
    except aiohttp.ClientError as exc:
        raise A2AConnectionError(f"the connection to the agent at {url} failed: {exc or type(exc).__name__}") from exc


def _snippet(body: bytes) -> str:
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:200] + ("…" if len(text) > 200 else "")


async def check_status(response: aiohttp.ClientResponse, url: str, token_source: str) -> None:
    """Anything but 2xx as the error it means (a JSON-RPC error body is used when there is one)."""
    if response.status < 300:
        return
    body = await response.content.read(64 * 1024)
    if response.status in (401, 403):
        raise auth_error(url, token_source, f"HTTP {response.status}: {_snippet(body)}")
    try:
        reply = _decode_reply(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        reply = None
    if reply is not None and reply.error is not None:
        raise from_jsonrpc(reply.error)
    retry = response.headers.get("Retry-After")
    raise A2AClientError(
        f"the agent at {url} answered HTTP {response.status}: {_snippet(body)}",
        f"retry after {retry} s" if retry else None,
    )


async def sse_events(content: aiohttp.StreamReader) -> AsyncIterator[tuple[str, bytes]]:
    """``(event, data)`` per Server-Sent Event; data lines joined with newlines, comments skipped."""
    buffer, event, data = b"", "", []
    async for chunk in content.iter_any():
        buffer += chunk
        if b"\n" not in chunk:
            continue
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            line = line.removesuffix(b"\r")
            if not line:
                if data:
                    yield event or "message", b"\n".join(data)
                event, data = "", []
                continue
            field, _, value = line.partition(b":")
            value = value.removeprefix(b" ")
            if field == b"data":
                data.append(value)
            elif field == b"event":
                event = value.decode("utf-8", "replace")
    if data:
        yield event or "message", b"\n".join(data)


class JsonRpcTransport:
    """One JSON-RPC interface (URL and spec version) over a session the transport owns."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        version: str,
        *,
        token: str | None,
        token_source: str,
        timeout: float | None,
    ) -> None:
        self.session = session
        self.url = url
        self.v1 = version == V1
        self.token_source = token_source
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", **({HEADER: V1} if self.v1 else {})}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    async def close(self) -> None:
        await self.session.close()

    # -- the wire ---------------------------------------------------------------------------------

    def _body(self, method: str, params: Any) -> bytes:
        return _encode({"jsonrpc": "2.0", "id": str(uuid.uuid4()), "method": method, "params": params})

    @staticmethod
    def _result(raw: bytes, method: str) -> msgspec.Raw:
        try:
            reply = _decode_reply(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise errors.InvalidAgentResponseError(f"the answer to {method} is not a JSON-RPC response: {exc}") from exc
        if reply.error is not None:
            raise from_jsonrpc(reply.error)
        return reply.result

    async def _call(self, method: str, params: Any) -> msgspec.Raw:
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.session.timeout.sock_connect)
        async with (
            http_errors(self.url, self.timeout),
            self.session.post(self.url, data=self._body(method, params), headers=self.headers, timeout=timeout) as r,
        ):
            await check_status(r, self.url, self.token_source)
            raw = await r.read()
        return self._result(raw, method)

    async def _stream(self, method: str, params: Any) -> AsyncIterator[msgspec.Raw]:
        headers = {**self.headers, "Accept": "text/event-stream", "Cache-Control": "no-store"}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.session.timeout.sock_connect)
        async with (
            http_errors(self.url),
            self.session.post(self.url, data=self._body(method, params), headers=headers, timeout=timeout) as r,
        ):
            await check_status(r, self.url, self.token_source)
            if "text/event-stream" not in r.headers.get("Content-Type", ""):
                yield self._result(await r.read(), method)  # refused before the stream began
                return
            async for _event, data in sse_events(r.content):
                yield self._result(data, method)  # an "error" event carries a JSON-RPC error too

    # -- operations (named as RequestHandler's) ---------------------------------------------------

    async def send_message(self, request: t.SendMessageRequest) -> t.Task | t.Message | None:
        if self.v1:
            raw = await self._call("SendMessage", request)
            sent = decode.json_reply(raw, t.SendMessageResponse, "SendMessage")
            return sent.task or sent.message
        raw = await self._call("message/send", v03.send_params(request))
        result = decode.json_reply(raw, v03.TaskV03 | v03.MessageV03, "message/send")
        event = decode.reply(v03.result_dict(result), t.StreamResponse, "message/send")
        return event.task or event.message

    async def send_streaming_message(self, request: t.SendMessageRequest) -> AsyncIterator[t.StreamResponse]:
        if self.v1:
            return self._events("SendStreamingMessage", request)
        return self._events("message/stream", v03.send_params(request))

    async def subscribe(self, request: t.SubscribeToTaskRequest) -> AsyncIterator[t.StreamResponse]:
        if self.v1:
            return self._events("SubscribeToTask", request)
        return self._events("tasks/resubscribe", {"id": request.id})

    async def _events(self, method: str, params: Any) -> AsyncIterator[t.StreamResponse]:
        async for raw in self._stream(method, params):
            if self.v1:
                yield decode.json_reply(raw, t.StreamResponse, method)
            else:
                result = decode.json_reply(raw, v03.EventV03, method)
                yield decode.reply(v03.result_dict(result), t.StreamResponse, method)

    async def get_task(self, request: t.GetTaskRequest) -> t.Task:
        if self.v1:
            return decode.json_reply(await self._call("GetTask", request), t.Task, "GetTask")
        params = {"id": request.id, **({"historyLength": request.history_length} if request.history_length else {})}
        task = decode.json_reply(await self._call("tasks/get", params), v03.TaskV03, "tasks/get")
        return decode.reply(v03.task_dict(task), t.Task, "tasks/get")

    async def list_tasks(self, request: t.ListTasksRequest) -> t.ListTasksResponse:
        return decode.list_tasks(msgspec.json.decode(await self._call("ListTasks", request)))

    async def cancel_task(self, request: t.CancelTaskRequest) -> t.Task:
        if self.v1:
            return decode.json_reply(await self._call("CancelTask", request), t.Task, "CancelTask")
        raw = await self._call("tasks/cancel", {"id": request.id})
        return decode.reply(v03.task_dict(decode.json_reply(raw, v03.TaskV03, "tasks/cancel")), t.Task, "tasks/cancel")

    async def create_push_config(self, config: t.PushConfig) -> t.PushConfig:
        if self.v1:
            raw = await self._call("CreateTaskPushNotificationConfig", config)
            return decode.json_reply(raw, t.PushConfig, "CreateTaskPushNotificationConfig")
        params = v03.push_json(config)  # an empty id is left out: the server picks one
        return _push_from_v03(await self._call("tasks/pushNotificationConfig/set", params))

    async def get_push_config(self, request: t.GetPushConfigRequest) -> t.PushConfig:
        if self.v1:
            raw = await self._call("GetTaskPushNotificationConfig", request)
            return decode.json_reply(raw, t.PushConfig, "GetTaskPushNotificationConfig")
        params = {"id": request.task_id, "pushNotificationConfigId": request.id}
        return _push_from_v03(await self._call("tasks/pushNotificationConfig/get", params))

    async def list_push_configs(self, request: t.ListPushConfigsRequest) -> t.ListPushConfigsResponse:
        if self.v1:
            return decode.push_configs(
                msgspec.json.decode(await self._call("ListTaskPushNotificationConfigs", request))
            )
        raw = await self._call("tasks/pushNotificationConfig/list", {"id": request.task_id})
        listed = decode.json_reply(raw, list[v03.TaskPushConfigV03], "tasks/pushNotificationConfig/list")
        return t.ListPushConfigsResponse(
            configs=[decode.reply(v03.push_dict(item), t.PushConfig, "push config") for item in listed]
        )

    async def delete_push_config(self, request: t.DeletePushConfigRequest) -> None:
        if self.v1:
            await self._call("DeleteTaskPushNotificationConfig", request)
        else:
            params = {"id": request.task_id, "pushNotificationConfigId": request.id}
            await self._call("tasks/pushNotificationConfig/delete", params)

    async def extended_card(self) -> t.AgentCard:
        method = "GetExtendedAgentCard" if self.v1 else "agent/getAuthenticatedExtendedCard"
        return decode.card(msgspec.json.decode(await self._call(method, {})), method)


def _push_from_v03(raw: msgspec.Raw) -> t.PushConfig:
    item = decode.json_reply(raw, v03.TaskPushConfigV03, "tasks/pushNotificationConfig")
    return decode.reply(v03.push_dict(item), t.PushConfig, "push config")
