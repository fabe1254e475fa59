"""One small, uniform A2A test client per transport, speaking the wire format by hand.

Every driver builds its requests itself (raw aiohttp JSON for JSON-RPC and REST, our own protobuf
messages over a raw ``grpc.aio`` channel for gRPC) and reads the answers back into the same plain
views (:class:`TaskView`, :class:`Event`, :class:`PushView`), so one behaviour test runs unchanged
against every transport. Errors become :class:`CallError` with a transport-neutral ``kind`` (the
spec's error name without ``Error``) and the raw wire error in ``raw`` for per-transport checks.
"""

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import grpc
from google.protobuf import json_format, message_factory
from google.rpc import error_details_pb2, status_pb2

from codetether.a2a import pb

TOKEN = "a2a-test-token-0123456789abcdef"
TRANSPORTS = ("jsonrpc-1.0", "jsonrpc-0.3", "rest-1.0", "rest-0.3", "grpc-1.0", "grpc-0.3")

JSONRPC_CODES = {
    -32700: "JSONParse",
    -32600: "InvalidRequest",
    -32601: "MethodNotFound",
    -32602: "InvalidParams",
    -32603: "Internal",
    -32001: "TaskNotFound",
    -32002: "TaskNotCancelable",
    -32003: "PushNotificationNotSupported",
    -32004: "UnsupportedOperation",
    -32005: "ContentTypeNotSupported",
    -32006: "InvalidAgentResponse",
    -32007: "ExtendedAgentCardNotConfigured",
    -32008: "ExtensionSupportRequired",
    -32009: "VersionNotSupported",
}
REASONS = {
    "TASK_NOT_FOUND": "TaskNotFound",
    "TASK_NOT_CANCELABLE": "TaskNotCancelable",
    "PUSH_NOTIFICATION_NOT_SUPPORTED": "PushNotificationNotSupported",
    "UNSUPPORTED_OPERATION": "UnsupportedOperation",
    "CONTENT_TYPE_NOT_SUPPORTED": "ContentTypeNotSupported",
    "INVALID_AGENT_RESPONSE": "InvalidAgentResponse",
    "EXTENDED_AGENT_CARD_NOT_CONFIGURED": "ExtendedAgentCardNotConfigured",
    "EXTENSION_SUPPORT_REQUIRED": "ExtensionSupportRequired",
    "VERSION_NOT_SUPPORTED": "VersionNotSupported",
}
# Errors without an ErrorInfo reason are told apart by their status code alone.
STATUS_KINDS = {
    "INVALID_ARGUMENT": "InvalidParams",
    "UNIMPLEMENTED": "MethodNotFound",
    "UNAUTHENTICATED": "Unauthenticated",
    "RESOURCE_EXHAUSTED": "ResourceExhausted",
    "INTERNAL": "Internal",
}
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


class CallError(Exception):
    def __init__(self, kind: str, raw: Any) -> None:
        super().__init__(f"{kind}: {raw}")
        self.kind = kind
        self.raw = raw


def state(value: str) -> str:
    """``TASK_STATE_INPUT_REQUIRED`` / ``TASK_STATE_CANCELLED`` / ``input-required`` → ``input-required`` etc."""
    return value.removeprefix("TASK_STATE_").lower().replace("_", "-").replace("cancelled", "canceled")


def parts_text(parts: list[dict[str, Any]]) -> str:
    return "".join(part.get("text", "") for part in parts)


def message_text(message: dict[str, Any] | None) -> str:
    if not message:
        return ""
    return parts_text(message.get("parts") or message.get("content") or [])


@dataclass
class TaskView:
    id: str
    context_id: str
    state: str
    status_text: str
    artifacts: list[str]
    history: list[str]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> "TaskView":
        status = data.get("status", {})
        return cls(
            id=data["id"],
            context_id=data.get("contextId", ""),
            state=state(status.get("state", "")),
            status_text=message_text(status.get("message")),
            artifacts=[parts_text(artifact.get("parts", [])) for artifact in data.get("artifacts", [])],
            history=[message_text(message) for message in data.get("history", [])],
            raw=data,
        )


@dataclass
class Event:
    kind: str  # task | message | status | artifact
    task_id: str
    state: str = ""
    text: str = ""
    append: bool = False
    last_chunk: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> "Event":
        """A 1.0 ``StreamResponse`` (JSON or protobuf JSON, either version) or a 0.3 ``kind``-tagged result."""
        kind = data.get("kind")
        if kind == "task" or "task" in data:
            task = TaskView.parse(data if kind == "task" else data["task"])
            return cls("task", task.id, task.state, task.status_text, raw=data)
        if kind == "message" or "message" in data:
            message = data if kind == "message" else data["message"]
            return cls("message", message.get("taskId", ""), text=message_text(message), raw=data)
        if kind == "status-update" or "statusUpdate" in data:
            update = data if kind else data["statusUpdate"]
            status = update["status"]
            return cls(
                "status", update["taskId"], state(status["state"]), message_text(status.get("message")), raw=data
            )
        update = data if kind else data["artifactUpdate"]
        return cls(
            "artifact",
            update["taskId"],
            text=parts_text(update["artifact"].get("parts", [])),
            append=update.get("append", False),
            last_chunk=update.get("lastChunk", False),
            raw=data,
        )


@dataclass
class PushView:
    id: str
    task_id: str
    url: str
    token: str

    @classmethod
    def parse(cls, data: dict[str, Any]) -> "PushView":
        inner = data.get("pushNotificationConfig")
        if inner is None:  # spec 1.0: flat
            return cls(data.get("id", ""), data.get("taskId", ""), data["url"], data.get("token", ""))
        task_id = data.get("taskId") or data.get("name", "").split("/")[1]
        return cls(inner.get("id", ""), task_id, inner["url"], inner.get("token", ""))


@dataclass
class Push:
    """What a test registers: ``auth`` is the credentials sent as ``Authorization: Bearer <auth>``."""

    url: str
    token: str = ""
    id: str = ""
    auth: str = ""


def _message(
    text: str, version: str, task_id: str, context_id: str, parts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``parts``, when given, replaces the one text part as it is (for tests of malformed parts)."""
    message: dict[str, Any] = {"messageId": uuid.uuid4().hex}
    if version == "1.0":
        message |= {"role": "ROLE_USER", "parts": [{"text": text}]}
    else:
        message |= {"kind": "message", "role": "user", "parts": [{"kind": "text", "text": text}]}
    if parts is not None:
        message["parts"] = parts
    if task_id:
        message["taskId"] = task_id
    if context_id:
        message["contextId"] = context_id
    return message


def snake_keys(value: Any) -> Any:
    """Every key renamed camelCase -> snake_case, as a client using proto field names sends them."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower(): snake_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def _push_json(push: Push, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"url": push.url}
    if push.token:
        out["token"] = push.token
    if push.id:
        out["id"] = push.id
    if push.auth:
        out["authentication"] = (
            {"scheme": "Bearer", "credentials": push.auth}
            if version == "1.0"
            else {"schemes": ["Bearer"], "credentials": push.auth}
        )
    return out


def send_params(
    text: str,
    version: str,
    *,
    task_id: str = "",
    context_id: str = "",
    blocking: bool = True,
    history_length: int | None = None,
    push: Push | None = None,
    parts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``SendMessageRequest`` (1.0) or ``MessageSendParams`` (0.3) JSON."""
    config: dict[str, Any]
    if version == "1.0":
        config = {"returnImmediately": not blocking}
        if push is not None:
            config["taskPushNotificationConfig"] = _push_json(push, version)
    else:
        config = {"blocking": blocking}
        if push is not None:
            config["pushNotificationConfig"] = _push_json(push, version)
    if history_length is not None:
        config["historyLength"] = history_length
    return {"message": _message(text, version, task_id, context_id, parts), "configuration": config}


async def sse_data(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The JSON ``data:`` payload of each Server-Sent Event, until the server closes the stream."""
    lines: list[str] = []
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("data:"):
            lines.append(line[5:].removeprefix(" "))
        elif not line and lines:
            yield json.loads("\n".join(lines))
            lines = []
    if lines:
        yield json.loads("\n".join(lines))


def _error_info(details: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((detail for detail in details if detail.get("@type") == ERROR_INFO), None)


class Driver:
    """The operations every behaviour test uses; subclasses speak one transport."""

    name: str
    version: str

    async def close(self) -> None: ...

    async def send(self, text: str, **options: Any) -> TaskView:
        raise NotImplementedError

    async def send_result(self, text: str, **options: Any) -> Event:
        """SendMessage's result as it came: the task, or the agent's message-only reply."""
        raise NotImplementedError

    async def stream(self, text: str, **options: Any) -> list[Event]:
        return [event async for event in self.stream_iter(text, **options)]

    def stream_iter(self, text: str, **options: Any) -> AsyncIterator[Event]:
        raise NotImplementedError

    def subscribe(self, task_id: str) -> AsyncIterator[Event]:
        raise NotImplementedError

    async def get(self, task_id: str, history_length: int | None = None) -> TaskView:
        raise NotImplementedError

    async def list_tasks(
        self, *, context_id: str = "", page_size: int | None = None, page_token: str = ""
    ) -> tuple[list[TaskView], str, int]:
        raise NotImplementedError

    async def cancel(self, task_id: str) -> TaskView:
        raise NotImplementedError

    async def push_create(self, task_id: str, push: Push) -> PushView:
        raise NotImplementedError

    async def push_get(self, task_id: str, config_id: str) -> PushView:
        raise NotImplementedError

    async def push_list(self, task_id: str) -> list[PushView]:
        raise NotImplementedError

    async def push_delete(self, task_id: str, config_id: str) -> None:
        raise NotImplementedError

    async def send_snake(self, text: str, **options: Any) -> TaskView:
        """``send`` with every JSON field name in snake_case (JSON bindings only)."""
        raise NotImplementedError

    async def extended_card(self, *, token: str | None = TOKEN) -> dict[str, Any]:
        raise NotImplementedError


# -- JSON-RPC ----------------------------------------------------------------------------------------

METHODS = {
    "1.0": {
        "send": "SendMessage",
        "stream": "SendStreamingMessage",
        "get": "GetTask",
        "list": "ListTasks",
        "cancel": "CancelTask",
        "subscribe": "SubscribeToTask",
        "push_create": "CreateTaskPushNotificationConfig",
        "push_get": "GetTaskPushNotificationConfig",
        "push_list": "ListTaskPushNotificationConfigs",
        "push_delete": "DeleteTaskPushNotificationConfig",
        "card": "GetExtendedAgentCard",
    },
    "0.3": {
        "send": "message/send",
        "stream": "message/stream",
        "get": "tasks/get",
        "list": "tasks/list",  # not a 0.3 method: the server must say so
        "cancel": "tasks/cancel",
        "subscribe": "tasks/resubscribe",
        "push_create": "tasks/pushNotificationConfig/set",
        "push_get": "tasks/pushNotificationConfig/get",
        "push_list": "tasks/pushNotificationConfig/list",
        "push_delete": "tasks/pushNotificationConfig/delete",
        "card": "agent/getAuthenticatedExtendedCard",
    },
}


def _http_headers(token: str | None, version: str | None) -> dict[str, str]:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if version is not None:
        headers["A2A-Version"] = version
    return headers


class JsonRpcDriver(Driver):
    def __init__(self, version: str, http_url: str, session: aiohttp.ClientSession, path: str = "/") -> None:
        self.name = f"jsonrpc-{version}"
        self.version = version
        self.url = http_url.rstrip("/") + path
        self.session = session
        self.methods = METHODS[version]

    def _headers(self, token: str | None = TOKEN) -> dict[str, str]:
        # 0.3 clients never send the header: its absence is what selects 0.3.
        return _http_headers(token, "1.0" if self.version == "1.0" else None)

    @staticmethod
    def _raise(body: dict[str, Any]) -> None:
        error = body["error"]
        raise CallError(JSONRPC_CODES.get(error["code"], str(error["code"])), error)

    async def rpc(self, op: str, params: dict[str, Any], *, token: str | None = TOKEN) -> Any:
        envelope = {"jsonrpc": "2.0", "id": uuid.uuid4().hex, "method": self.methods[op], "params": params}
        async with self.session.post(self.url, json=envelope, headers=self._headers(token)) as response:
            if response.status == 401:
                raise CallError("Unauthenticated", await response.json())
            assert response.status == 200, (response.status, await response.text())
            body = await response.json()
        assert body["jsonrpc"] == "2.0" and body["id"] == envelope["id"], body
        if "error" in body:
            self._raise(body)
        return body["result"]

    async def rpc_stream(self, op: str, params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        envelope = {"jsonrpc": "2.0", "id": uuid.uuid4().hex, "method": self.methods[op], "params": params}
        headers = self._headers() | {"Accept": "text/event-stream"}
        async with self.session.post(self.url, json=envelope, headers=headers) as response:
            assert response.status == 200, (response.status, await response.text())
            if response.content_type != "text/event-stream":  # an error before the stream started
                self._raise(await response.json())
            async for body in sse_data(response):
                assert body["jsonrpc"] == "2.0" and body["id"] == envelope["id"], body
                if "error" in body:
                    self._raise(body)
                yield body["result"]

    async def send(self, text: str, **options: Any) -> TaskView:
        result = await self.rpc("send", send_params(text, self.version, **options))
        return TaskView.parse(result["task"] if self.version == "1.0" else result)

    async def send_result(self, text: str, **options: Any) -> Event:
        return Event.parse(await self.rpc("send", send_params(text, self.version, **options)))

    async def stream_iter(self, text: str, **options: Any) -> AsyncIterator[Event]:
        async for result in self.rpc_stream("stream", send_params(text, self.version, **options)):
            yield Event.parse(result)

    async def subscribe(self, task_id: str) -> AsyncIterator[Event]:
        async for result in self.rpc_stream("subscribe", {"id": task_id}):
            yield Event.parse(result)

    async def get(self, task_id: str, history_length: int | None = None) -> TaskView:
        params: dict[str, Any] = {"id": task_id}
        if history_length is not None:
            params["historyLength"] = history_length
        return TaskView.parse(await self.rpc("get", params))

    async def list_tasks(self, *, context_id: str = "", page_size: int | None = None, page_token: str = ""):
        params: dict[str, Any] = {}
        if context_id:
            params["contextId"] = context_id
        if page_size is not None:
            params["pageSize"] = page_size
        if page_token:
            params["pageToken"] = page_token
        result = await self.rpc("list", params)
        return [TaskView.parse(t) for t in result["tasks"]], result["nextPageToken"], result["totalSize"]

    async def cancel(self, task_id: str) -> TaskView:
        return TaskView.parse(await self.rpc("cancel", {"id": task_id}))

    async def push_create(self, task_id: str, push: Push) -> PushView:
        config = _push_json(push, self.version)
        params = (
            {"taskId": task_id, **config}
            if self.version == "1.0"
            else {"taskId": task_id, "pushNotificationConfig": config}
        )
        return PushView.parse(await self.rpc("push_create", params))

    def _push_ids(self, task_id: str, config_id: str) -> dict[str, str]:
        if self.version == "1.0":
            return {"taskId": task_id, "id": config_id}
        return {"id": task_id, "pushNotificationConfigId": config_id}

    async def push_get(self, task_id: str, config_id: str) -> PushView:
        return PushView.parse(await self.rpc("push_get", self._push_ids(task_id, config_id)))

    async def push_list(self, task_id: str) -> list[PushView]:
        result = await self.rpc("push_list", {"taskId": task_id} if self.version == "1.0" else {"id": task_id})
        return [PushView.parse(config) for config in (result["configs"] if self.version == "1.0" else result)]

    async def send_snake(self, text: str, **options: Any) -> TaskView:
        result = await self.rpc("send", snake_keys(send_params(text, self.version, **options)))
        return TaskView.parse(result["task"] if self.version == "1.0" else result)

    async def push_delete(self, task_id: str, config_id: str) -> None:
        result = await self.rpc("push_delete", self._push_ids(task_id, config_id))
        assert result is None, result  # a success is `"result": null`

    async def extended_card(self, *, token: str | None = TOKEN) -> dict[str, Any]:
        return await self.rpc("card", {}, token=token)


# -- REST (HTTP+JSON, spec 1.0) -------------------------------------------------------------------------


class RestDriver(Driver):
    name = "rest-1.0"
    version = "1.0"
    prefix = "/a2a/rest"

    def __init__(self, http_url: str, session: aiohttp.ClientSession) -> None:
        self.base = http_url.rstrip("/") + self.prefix
        self.session = session

    @staticmethod
    async def _check(response: aiohttp.ClientResponse) -> Any:
        if response.status == 401:
            raise CallError("Unauthenticated", {"http": 401, "body": await response.json()})
        body = await response.json(content_type=None)
        if response.status >= 400:
            error = body["error"]
            info = _error_info(error.get("details", []))
            kind = REASONS[info["reason"]] if info else STATUS_KINDS.get(error["status"], error["status"])
            raise CallError(kind, {"http": response.status, "body": body})
        return body

    def _headers(self, token: str | None) -> dict[str, str]:
        return _http_headers(token, "1.0")

    async def _call(self, method: str, path: str, *, body: Any = None, params=None, token: str | None = TOKEN) -> Any:
        async with self.session.request(
            method, self.base + path, json=body, params=params, headers=self._headers(token)
        ) as response:
            return await self._check(response)

    async def _stream(self, method: str, path: str, body: Any = None) -> AsyncIterator[Event]:
        headers = self._headers(TOKEN) | {"Accept": "text/event-stream"}
        async with self.session.request(method, self.base + path, json=body, headers=headers) as response:
            if response.content_type != "text/event-stream":
                await self._check(response)
                raise AssertionError(f"expected an event stream, got {response.status} {response.content_type}")
            async for data in sse_data(response):
                if "error" in data:
                    raise CallError(REASONS.get((_error_info(data["error"]["details"]) or {}).get("reason"), "?"), data)
                yield Event.parse(data)

    async def send(self, text: str, **options: Any) -> TaskView:
        return TaskView.parse(
            (await self._call("POST", "/message:send", body=send_params(text, "1.0", **options)))["task"]
        )

    async def send_result(self, text: str, **options: Any) -> Event:
        return Event.parse(await self._call("POST", "/message:send", body=send_params(text, "1.0", **options)))

    def stream_iter(self, text: str, **options: Any) -> AsyncIterator[Event]:
        return self._stream("POST", "/message:stream", send_params(text, "1.0", **options))

    def subscribe(self, task_id: str) -> AsyncIterator[Event]:
        return self._stream("GET", f"/tasks/{task_id}:subscribe")

    async def get(self, task_id: str, history_length: int | None = None) -> TaskView:
        params = {} if history_length is None else {"historyLength": str(history_length)}
        return TaskView.parse(await self._call("GET", f"/tasks/{task_id}", params=params))

    async def list_tasks(self, *, context_id: str = "", page_size: int | None = None, page_token: str = ""):
        params = {}
        if context_id:
            params["contextId"] = context_id
        if page_size is not None:
            params["pageSize"] = str(page_size)
        if page_token:
            params["pageToken"] = page_token
        result = await self._call("GET", "/tasks", params=params)
        return [TaskView.parse(t) for t in result["tasks"]], result["nextPageToken"], result["totalSize"]

    async def cancel(self, task_id: str) -> TaskView:
        return TaskView.parse(await self._call("POST", f"/tasks/{task_id}:cancel", body={}))

    async def push_create(self, task_id: str, push: Push) -> PushView:
        return PushView.parse(
            await self._call("POST", f"/tasks/{task_id}/pushNotificationConfigs", body=_push_json(push, "1.0"))
        )

    async def push_get(self, task_id: str, config_id: str) -> PushView:
        return PushView.parse(await self._call("GET", f"/tasks/{task_id}/pushNotificationConfigs/{config_id}"))

    async def push_list(self, task_id: str) -> list[PushView]:
        result = await self._call("GET", f"/tasks/{task_id}/pushNotificationConfigs")
        return [PushView.parse(config) for config in result.get("configs", [])]

    async def push_delete(self, task_id: str, config_id: str) -> None:
        await self._call("DELETE", f"/tasks/{task_id}/pushNotificationConfigs/{config_id}")

    def _send_body(self, text: str, **options: Any) -> dict[str, Any]:
        return send_params(text, "1.0", **options)

    async def send_snake(self, text: str, **options: Any) -> TaskView:
        body = snake_keys(self._send_body(text, **options))
        return TaskView.parse((await self._call("POST", "/message:send", body=body))["task"])

    async def extended_card(self, *, token: str | None = TOKEN) -> dict[str, Any]:
        return await self._call("GET", "/extendedAgentCard", token=token)


class RestV03Driver(RestDriver):
    """Spec 0.3's HTTP+JSON binding: ``/v1/...`` paths, 0.3 protobuf JSON bodies, no version header."""

    name = "rest-0.3"
    version = "0.3"
    prefix = "/a2a/rest/v1"

    def _headers(self, token: str | None) -> dict[str, str]:
        return _http_headers(token, None)

    def _send_body(self, text: str, **options: Any) -> dict[str, Any]:
        message = _message(text, "1.0", options.get("task_id", ""), options.get("context_id", ""), options.get("parts"))
        message["content"] = message.pop("parts")
        config: dict[str, Any] = {"blocking": options.get("blocking", True)}
        if options.get("history_length") is not None:
            config["historyLength"] = options["history_length"]
        if options.get("push") is not None:
            config["pushNotification"] = _push_json(options["push"], "0.3")
        return {"message": message, "configuration": config}

    async def send(self, text: str, **options: Any) -> TaskView:
        return TaskView.parse(
            (await self._call("POST", "/message:send", body=self._send_body(text, **options)))["task"]
        )

    async def send_result(self, text: str, **options: Any) -> Event:
        return Event.parse(await self._call("POST", "/message:send", body=self._send_body(text, **options)))

    def stream_iter(self, text: str, **options: Any) -> AsyncIterator[Event]:
        return self._stream("POST", "/message:stream", self._send_body(text, **options))

    async def list_tasks(self, *, context_id: str = "", page_size: int | None = None, page_token: str = ""):
        await self._call("GET", "/tasks")
        raise AssertionError("the 0.3 binding answered ListTasks")

    async def push_create(self, task_id: str, push: Push) -> PushView:
        body = {"configId": push.id, "config": {"pushNotificationConfig": _push_json(push, "0.3")}}
        return PushView.parse(await self._call("POST", f"/tasks/{task_id}/pushNotificationConfigs", body=body))

    async def extended_card(self, *, token: str | None = TOKEN) -> dict[str, Any]:
        return await self._call("GET", "/card", token=token)


# -- gRPC --------------------------------------------------------------------------------------------


def grpc_error(exc: grpc.aio.AioRpcError, version: str) -> CallError:
    """1.0: the ErrorInfo reason in ``grpc-status-details-bin``; 0.3: the ``<ErrorClass>: ...`` message."""
    code = exc.code().name
    raw: dict[str, Any] = {"code": code, "details": exc.details(), "status": None, "info": None}
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            raw["status"] = status
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    raw["info"] = info
    if raw["info"] is not None:
        return CallError(REASONS.get(raw["info"].reason, raw["info"].reason), raw)
    prefix, sep, _ = (exc.details() or "").partition(": ")
    if version == "0.3" and sep and prefix.endswith("Error"):
        return CallError(prefix.removesuffix("Error"), raw)
    return CallError(STATUS_KINDS.get(code, code), raw)


class GrpcDriver(Driver):
    def __init__(self, version: str, address: str) -> None:
        self.name = f"grpc-{version}"
        self.version = version
        self.module = pb.v1() if version == "1.0" else pb.v0_3()
        self.service = "lf.a2a.v1.A2AService" if version == "1.0" else "a2a.v1.A2AService"
        self.channel = grpc.aio.insecure_channel(address)

    async def close(self) -> None:
        await self.channel.close()

    def metadata(self, token: str | None = TOKEN) -> list[tuple[str, str]]:
        metadata = [("a2a-version", self.version)]
        if token is not None:
            metadata.append(("authorization", f"Bearer {token}"))
        return metadata

    def _stub(self, method: str):
        descriptor = self.module.DESCRIPTOR.services_by_name["A2AService"].methods_by_name[method]
        request_cls = message_factory.GetMessageClass(descriptor.input_type)
        response_cls = message_factory.GetMessageClass(descriptor.output_type)
        factory = self.channel.unary_stream if descriptor.server_streaming else self.channel.unary_unary
        stub = factory(
            f"/{self.service}/{method}",
            request_serializer=request_cls.SerializeToString,
            response_deserializer=response_cls.FromString,
        )
        return stub, request_cls

    async def call(self, method: str, fields: dict[str, Any], *, token: str | None = TOKEN) -> dict[str, Any]:
        stub, request_cls = self._stub(method)
        request = json_format.ParseDict(fields, request_cls())
        try:
            response = await stub(request, metadata=self.metadata(token), timeout=30)
        except grpc.aio.AioRpcError as exc:
            raise grpc_error(exc, self.version) from None
        return json_format.MessageToDict(response)

    async def call_stream(self, method: str, fields: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        stub, request_cls = self._stub(method)
        call = stub(json_format.ParseDict(fields, request_cls()), metadata=self.metadata())
        try:
            async for response in call:
                yield json_format.MessageToDict(response)
        except grpc.aio.AioRpcError as exc:
            raise grpc_error(exc, self.version) from None
        finally:
            call.cancel()

    # spec 0.3's protobuf names tasks by resource name and nests messages differently
    def _send_fields(self, text: str, **options: Any) -> dict[str, Any]:
        if self.version == "1.0":
            return send_params(text, "1.0", **options)
        message = _message(text, "1.0", options.get("task_id", ""), options.get("context_id", ""), options.get("parts"))
        message["role"] = "ROLE_USER"
        message["content"] = message.pop("parts")
        config: dict[str, Any] = {"blocking": options.get("blocking", True)}
        if options.get("history_length") is not None:
            config["historyLength"] = options["history_length"]
        if options.get("push") is not None:
            config["pushNotification"] = _push_json(options["push"], "0.3")
        return {"message": message, "configuration": config}

    async def send(self, text: str, **options: Any) -> TaskView:
        result = await self.call("SendMessage", self._send_fields(text, **options))
        return TaskView.parse(result["task"])

    async def send_result(self, text: str, **options: Any) -> Event:
        return Event.parse(await self.call("SendMessage", self._send_fields(text, **options)))

    async def stream_iter(self, text: str, **options: Any) -> AsyncIterator[Event]:
        async for result in self.call_stream("SendStreamingMessage", self._send_fields(text, **options)):
            yield Event.parse(result)

    async def subscribe(self, task_id: str) -> AsyncIterator[Event]:
        method, fields = (
            ("SubscribeToTask", {"id": task_id})
            if self.version == "1.0"
            else ("TaskSubscription", {"name": f"tasks/{task_id}"})
        )
        async for result in self.call_stream(method, fields):
            yield Event.parse(result)

    def _task_ref(self, task_id: str) -> dict[str, Any]:
        return {"id": task_id} if self.version == "1.0" else {"name": f"tasks/{task_id}"}

    async def get(self, task_id: str, history_length: int | None = None) -> TaskView:
        fields = self._task_ref(task_id)
        if history_length is not None:
            fields["historyLength"] = history_length
        return TaskView.parse(await self.call("GetTask", fields))

    async def list_tasks(self, *, context_id: str = "", page_size: int | None = None, page_token: str = ""):
        if self.version != "1.0":  # the 0.3 service has no ListTasks: call the path anyway, raw bytes
            stub = self.channel.unary_unary(f"/{self.service}/ListTasks")
            try:
                await stub(b"", metadata=self.metadata(), timeout=30)
            except grpc.aio.AioRpcError as exc:
                raise grpc_error(exc, self.version) from None
            raise AssertionError("the 0.3 service answered ListTasks")
        fields: dict[str, Any] = {"contextId": context_id, "pageToken": page_token}
        if page_size is not None:
            fields["pageSize"] = page_size
        result = await self.call("ListTasks", fields)
        tasks = [TaskView.parse(task) for task in result.get("tasks", [])]
        return tasks, result.get("nextPageToken", ""), result.get("totalSize", 0)

    async def cancel(self, task_id: str) -> TaskView:
        return TaskView.parse(await self.call("CancelTask", self._task_ref(task_id)))

    async def push_create(self, task_id: str, push: Push) -> PushView:
        if self.version == "1.0":
            return PushView.parse(
                await self.call("CreateTaskPushNotificationConfig", {"taskId": task_id, **_push_json(push, "1.0")})
            )
        config = _push_json(push, "0.3")
        fields = {"parent": f"tasks/{task_id}", "configId": push.id, "config": {"pushNotificationConfig": config}}
        return PushView.parse(await self.call("CreateTaskPushNotificationConfig", fields))

    def _config_ref(self, task_id: str, config_id: str) -> dict[str, Any]:
        if self.version == "1.0":
            return {"taskId": task_id, "id": config_id}
        return {"name": f"tasks/{task_id}/pushNotificationConfigs/{config_id}"}

    async def push_get(self, task_id: str, config_id: str) -> PushView:
        return PushView.parse(await self.call("GetTaskPushNotificationConfig", self._config_ref(task_id, config_id)))

    async def push_list(self, task_id: str) -> list[PushView]:
        if self.version == "1.0":
            result = await self.call("ListTaskPushNotificationConfigs", {"taskId": task_id})
        else:
            result = await self.call("ListTaskPushNotificationConfig", {"parent": f"tasks/{task_id}"})
        return [PushView.parse(config) for config in result.get("configs", [])]

    async def push_delete(self, task_id: str, config_id: str) -> None:
        await self.call("DeleteTaskPushNotificationConfig", self._config_ref(task_id, config_id))

    async def extended_card(self, *, token: str | None = TOKEN) -> dict[str, Any]:
        return await self.call("GetExtendedAgentCard" if self.version == "1.0" else "GetAgentCard", {}, token=token)


def make_driver(name: str, http_url: str, grpc_address: str, session: aiohttp.ClientSession) -> Driver:
    kind, version = name.split("-")
    if kind == "jsonrpc":
        return JsonRpcDriver(version, http_url, session)
    if kind == "rest":
        return (RestDriver if version == "1.0" else RestV03Driver)(http_url, session)
    return GrpcDriver(version, grpc_address)


@contextlib.asynccontextmanager
async def closing_stream(events: AsyncIterator[Event]):
    """Close an event iterator the test stops reading early (so the server sees the client go)."""
    try:
        yield events
    finally:
        await events.aclose()
