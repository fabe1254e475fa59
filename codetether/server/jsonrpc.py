"""A2A over JSON-RPC 2.0 (spec 1.0 §9, and spec 0.3's slash-named methods): ``POST /`` and ``/a2a``.

Decode the envelope and the typed params, call one ``RequestHandler`` method, encode the result.
Streaming methods answer with Server-Sent Events, one JSON-RPC response per event. The version is
the ``A2A-Version`` header (absent means 0.3); every failure is a JSON-RPC error, never a 500.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

import msgspec
from aiohttp import web

from ..a2a.domain import errors
from ..a2a.domain import types as t
from ..a2a.domain.versions import HEADER, V1, negotiate
from ..a2a.server.bound import BoundHandler
from ..a2a.server.card import card_v03
from ..a2a.server.handler import RequestHandler
from ..a2a.server.streams import MappedStream
from ..a2a.wire import compat_v03 as v03
from ..a2a.wire import wire_names
from .auth import call_context
from .sse import frame, open_stream, write_events

log = logging.getLogger(__name__)

HANDLER_KEY = web.AppKey("a2a_handler", RequestHandler)
MAX_BODY_KEY = web.AppKey("a2a_max_body", int)
_ID = int | str | None


class _Envelope(msgspec.Struct):
    jsonrpc: str
    method: str
    id: _ID = None
    params: msgspec.Raw = msgspec.Raw(b"{}")


class _IdOnly(msgspec.Struct):
    id: _ID = None


class _Result(msgspec.Struct):
    jsonrpc: str
    id: _ID
    result: Any


class _Error(msgspec.Struct):
    jsonrpc: str
    id: _ID
    error: dict[str, Any]


class Method(NamedTuple):
    params: type
    call: Callable[[BoundHandler, Any], Awaitable[Any]]
    streaming: bool = False


def _stream_v03(events: AsyncIterator[t.StreamResponse]) -> MappedStream:
    return MappedStream(events, v03.reply_json)


async def _v03_push_get(handler: BoundHandler, params: v03.PushConfigParams) -> Any:
    if params.push_notification_config_id:
        config = await handler.on_get_push_config(
            t.GetPushConfigRequest(task_id=params.id, id=params.push_notification_config_id)
        )
    else:  # 0.3 allowed asking for "the" config of a task
        configs = (await handler.on_list_push_configs(t.ListPushConfigsRequest(task_id=params.id))).configs
        if not configs:
            raise errors.TaskNotFoundError(f"task {params.id} has no push notification config")
        config = configs[0]
    return v03.push_json(config)


async def _v03_push_delete(handler: BoundHandler, params: v03.PushConfigParams) -> None:
    if not params.push_notification_config_id:
        raise errors.InvalidParamsError("pushNotificationConfigId is required")
    await handler.on_delete_push_config(
        t.DeletePushConfigRequest(task_id=params.id, id=params.push_notification_config_id)
    )


async def _v03_extended_card(handler: BoundHandler, params: Any) -> Any:
    return card_v03(await handler.on_get_extended_agent_card())


METHODS_V1: dict[str, Method] = {
    "SendMessage": Method(t.SendMessageRequest, lambda h, p: h.on_send_message(p, V1)),
    "SendStreamingMessage": Method(t.SendMessageRequest, lambda h, p: h.on_send_streaming_message(p, V1), True),
    "GetTask": Method(t.GetTaskRequest, lambda h, p: h.on_get_task(p)),
    "ListTasks": Method(t.ListTasksRequest, lambda h, p: h.on_list_tasks(p)),
    "CancelTask": Method(t.CancelTaskRequest, lambda h, p: h.on_cancel_task(p)),
    "SubscribeToTask": Method(t.SubscribeToTaskRequest, lambda h, p: h.on_subscribe_to_task(p), True),
    "CreateTaskPushNotificationConfig": Method(t.PushConfig, lambda h, p: h.on_create_push_config(p, V1)),
    "GetTaskPushNotificationConfig": Method(t.GetPushConfigRequest, lambda h, p: h.on_get_push_config(p)),
    "ListTaskPushNotificationConfigs": Method(t.ListPushConfigsRequest, lambda h, p: h.on_list_push_configs(p)),
    "DeleteTaskPushNotificationConfig": Method(t.DeletePushConfigRequest, lambda h, p: h.on_delete_push_config(p)),
    "GetExtendedAgentCard": Method(t.GetExtendedAgentCardRequest, lambda h, p: h.on_get_extended_agent_card(p)),
}


async def _v03_send(handler: BoundHandler, params: v03.MessageSendParams) -> Any:
    reply = await handler.on_send_message(v03.send_request(params), "0.3")
    return v03.reply_json(reply)


async def _v03_stream(handler: BoundHandler, params: v03.MessageSendParams) -> Any:
    return _stream_v03(await handler.on_send_streaming_message(v03.send_request(params), "0.3"))


async def _v03_get(handler: BoundHandler, params: v03.TaskQueryParams) -> Any:
    return v03.task_json(
        await handler.on_get_task(t.GetTaskRequest(id=params.id, history_length=params.history_length))
    )


async def _v03_cancel(handler: BoundHandler, params: v03.TaskIdParams) -> Any:
    return v03.task_json(await handler.on_cancel_task(t.CancelTaskRequest(id=params.id, metadata=params.metadata)))


async def _v03_resubscribe(handler: BoundHandler, params: v03.TaskIdParams) -> Any:
    return _stream_v03(await handler.on_subscribe_to_task(t.SubscribeToTaskRequest(id=params.id)))


async def _v03_push_set(handler: BoundHandler, params: v03.TaskPushConfigV03) -> Any:
    config = v03.push_config(params.push_notification_config, params.task_id)
    return v03.push_json(await handler.on_create_push_config(config, "0.3"))


async def _v03_push_list(handler: BoundHandler, params: v03.PushConfigParams) -> Any:
    configs = (await handler.on_list_push_configs(t.ListPushConfigsRequest(task_id=params.id))).configs
    return [v03.push_json(config) for config in configs]


METHODS_V03: dict[str, Method] = {
    "message/send": Method(v03.MessageSendParams, _v03_send),
    "message/stream": Method(v03.MessageSendParams, _v03_stream, True),
    "tasks/get": Method(v03.TaskQueryParams, _v03_get),
    "tasks/cancel": Method(v03.TaskIdParams, _v03_cancel),
    "tasks/resubscribe": Method(v03.TaskIdParams, _v03_resubscribe, True),
    "tasks/pushNotificationConfig/set": Method(v03.TaskPushConfigV03, _v03_push_set),
    "tasks/pushNotificationConfig/get": Method(v03.PushConfigParams, _v03_push_get),
    "tasks/pushNotificationConfig/list": Method(v03.PushConfigParams, _v03_push_list),
    "tasks/pushNotificationConfig/delete": Method(v03.PushConfigParams, _v03_push_delete),
    "agent/getAuthenticatedExtendedCard": Method(msgspec.Raw, _v03_extended_card),
}

_encode = msgspec.json.Encoder().encode
_decode_envelope = msgspec.json.Decoder(_Envelope).decode
_decode_id = msgspec.json.Decoder(_IdOnly).decode
_decoders: dict[type, msgspec.json.Decoder] = {}


def error_body(exc: errors.A2AError, request_id: _ID, version: str) -> bytes:
    error: dict[str, Any] = {"code": exc.mapping.jsonrpc, "message": exc.message}
    if version == V1 and exc.details():
        error["data"] = exc.details()
    return _encode(_Error("2.0", request_id, error))


def _json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json")


def _recover_id(body: bytes) -> _ID:
    """JSON-RPC 2.0 §5: an error answers with the request's id whenever it can be read, even when the
    rest of the envelope is invalid (no method, say); ``null`` only when it cannot."""
    try:
        return _decode_id(body).id
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None


def _decode_params(method: Method, raw: msgspec.Raw, snake: bool) -> Any:
    """The typed params; ``snake``: the request may hold snake_case field names (rename them first)."""
    if method.params is msgspec.Raw:
        return raw
    decoder = _decoders.get(method.params)
    if decoder is None:
        decoder = _decoders[method.params] = msgspec.json.Decoder(method.params)
    try:
        return wire_names.decode(raw, method.params) if snake else decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise errors.InvalidParamsError(f"Invalid parameters: {exc}") from exc
    except RecursionError:
        raise errors.InvalidParamsError("Invalid parameters: the JSON nests too deeply") from None


def _resolve(name: str, version: str) -> Method:
    table, other = (METHODS_V1, METHODS_V03) if version == V1 else (METHODS_V03, METHODS_V1)
    method = table.get(name)
    if method is not None:
        return method
    if name in other and version != V1:
        raise errors.VersionNotSupportedError(
            f"{name} is a spec 1.0 method but the request speaks 0.3; send the header {HEADER}: 1.0"
        )
    if name in other:
        raise errors.MethodNotFoundError(f"{name} is a spec 0.3 method; send it without the {HEADER}: 1.0 header")
    raise errors.MethodNotFoundError(f"Method not found: {name}")


async def handle(request: web.Request) -> web.StreamResponse:
    handler = request.app[HANDLER_KEY]
    request_id: _ID = None
    method: Method | None = None
    version = "0.3"  # how errors are shaped until the header has been read
    try:
        version = negotiate(request.headers.get(HEADER))
        caller = handler.bound(call_context(request, version, "jsonrpc"))
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise errors.PayloadTooLargeError(
                f"request body over the {request.app[MAX_BODY_KEY]} byte limit (raise [a2a] max_body_bytes)"
            ) from exc
        try:
            envelope = _decode_envelope(body)
        except msgspec.ValidationError as exc:
            request_id = _recover_id(body)
            raise errors.InvalidRequestError(f"Request payload validation error: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise errors.JSONParseError(f"Invalid JSON payload: {exc}") from exc
        except RecursionError:  # the decoder's depth is Python's recursion limit: a clean refusal, not a 500
            raise errors.InvalidRequestError("Request payload validation error: the JSON nests too deeply") from None
        request_id = envelope.id
        if envelope.jsonrpc != "2.0":
            raise errors.InvalidRequestError('Request payload validation error: "jsonrpc" must be "2.0"')
        method = _resolve(envelope.method, version)
        params = _decode_params(method, envelope.params, wire_names.may_have_snake_keys(body))
        result = await method.call(caller, params)
    except errors.A2AError as exc:
        status = 413 if isinstance(exc, errors.PayloadTooLargeError) else 200
        if version != V1 and method is not None and method.streaming:  # 0.3 clients read errors from the stream
            return await _sse_error(request, exc, request_id, version)
        return _json(error_body(exc, request_id, version), status)
    except Exception as exc:
        log.exception("JSON-RPC %s failed", request.path)
        return _json(error_body(errors.InternalError(f"Internal error: {type(exc).__name__}"), request_id, version))
    if method.streaming:
        return await _sse(request, result, request_id, version)
    return _json(_encode(_Result("2.0", request_id, result)))


async def _sse_error(request: web.Request, exc: errors.A2AError, request_id: _ID, version: str) -> web.StreamResponse:
    response = await open_stream(request)
    await response.write(frame(error_body(exc, request_id, version).decode()))
    return response


async def _sse(request: web.Request, events: AsyncIterator[Any], request_id: _ID, version: str) -> web.StreamResponse:
    return await write_events(
        request,
        events,
        lambda event: _encode(_Result("2.0", request_id, event)),
        lambda exc: error_body(exc, request_id, version),
    )


def add_routes(app: web.Application, handler: RequestHandler, max_body: int) -> None:
    app[HANDLER_KEY] = handler
    app[MAX_BODY_KEY] = max_body
    app.router.add_post("/", handle)
    app.router.add_post("/a2a", handle)
