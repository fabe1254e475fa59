"""A2A over HTTP+JSON (spec 1.0 §11) under ``/a2a/rest``: resource URLs, ProtoJSON bodies, SSE.

Like the JSON-RPC adapter it only translates: path, query and body become one typed request for the
``RequestHandler``; its result or error becomes the response. Errors use the ``google.rpc.Status``
JSON shape with the HTTP status from the error table.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from ..a2a.domain import errors
from ..a2a.domain import types as t
from ..a2a.domain.versions import HEADER, V1, negotiate
from ..a2a.server.bound import BoundHandler
from ..a2a.wire.wire_names import camel_keys
from .auth import call_context
from .jsonrpc import HANDLER_KEY, MAX_BODY_KEY
from .sse import write_events

log = logging.getLogger(__name__)

PREFIX = "/a2a/rest"
CONTENT_TYPE = "application/a2a+json"
_encode = msgspec.json.Encoder().encode
_ID = "{id:[^/:]+}"


def error_response(exc: errors.A2AError) -> web.Response:
    mapping = exc.mapping
    body = {"error": {"code": mapping.http, "status": mapping.grpc, "message": exc.message, "details": exc.details()}}
    return web.Response(body=_encode(body), status=mapping.http, content_type="application/json")


async def read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise errors.PayloadTooLargeError(
            f"request body over the {request.app[MAX_BODY_KEY]} byte limit (raise [a2a] max_body_bytes)"
        ) from exc


async def _body(request: web.Request, kind: type, **fields: Any) -> Any:
    raw = await read_body(request)
    try:
        data = msgspec.json.decode(raw or b"{}")
        if not isinstance(data, dict):
            raise errors.InvalidRequestError("the request body must be a JSON object")
        data = camel_keys(data, kind)
        data.update(fields)
        return msgspec.convert(data, type=kind)
    except msgspec.ValidationError as exc:
        raise errors.InvalidParamsError(f"Invalid parameters: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise errors.JSONParseError(f"Invalid JSON payload: {exc}") from exc
    except RecursionError:  # the decoder's depth is Python's recursion limit: a clean 400, not a 500
        raise errors.InvalidRequestError("the request body's JSON nests too deeply") from None


def _query(request: web.Request, kind: type, **fields: Any) -> Any:
    """Query parameters (camelCase, spec §11.5) and path fields as one typed request: each value is
    read as the type of its field (``contextId=123`` stays a string, ``pageSize=5`` is a number)."""
    data: dict[str, Any] = {**request.query, **fields}
    try:
        return msgspec.convert(data, type=kind, strict=False)
    except msgspec.ValidationError as exc:
        raise errors.InvalidParamsError(f"Invalid parameters: {exc}") from exc


Route = Callable[[BoundHandler, web.Request], Awaitable[Any]]


def make_endpoint(
    route: Route,
    *,
    version: str,
    wrong_version: str,
    target: Callable[[BoundHandler], Any] = lambda handler: handler,
    streaming: bool = False,
    content_type: str = CONTENT_TYPE,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp handler for one REST route of one spec version: version check, the route's call on
    ``target(handler)``, then its result as JSON (or SSE), every failure as the error table says."""

    async def endpoint(request: web.Request) -> web.StreamResponse:
        try:
            if negotiate(request.headers.get(HEADER)) != version:
                raise errors.VersionNotSupportedError(wrong_version)
            caller = request.app[HANDLER_KEY].bound(call_context(request, version, "rest"))
            result = await route(target(caller), request)
        except errors.A2AError as exc:
            return error_response(exc)
        except Exception as exc:
            log.exception("REST %s %s failed", request.method, request.path)
            return error_response(errors.InternalError(f"Internal error: {type(exc).__name__}"))
        if streaming:
            return await write_events(request, result, _encode, lambda exc: error_response(exc).body)
        return web.Response(body=_encode({} if result is None else result), content_type=content_type)

    return endpoint


def _endpoint(route: Route, *, streaming: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    return make_endpoint(
        route,
        version=V1,
        wrong_version=f"these are the spec 1.0 paths: send {HEADER}: 1.0 (spec 0.3 clients: /a2a/rest/v1/...)",
        streaming=streaming,
    )


async def _send(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_send_message(await _body(r, t.SendMessageRequest), V1)


async def _stream(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_send_streaming_message(await _body(r, t.SendMessageRequest), V1)


async def _get(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_get_task(_query(r, t.GetTaskRequest, id=r.match_info["id"]))


async def _list(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_list_tasks(_query(r, t.ListTasksRequest))


async def _cancel(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_cancel_task(await _body(r, t.CancelTaskRequest, id=r.match_info["id"]))


async def _subscribe(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_subscribe_to_task(t.SubscribeToTaskRequest(id=r.match_info["id"]))


async def _push_create(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_create_push_config(await _body(r, t.PushConfig, taskId=r.match_info["id"]), V1)


async def _push_get(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_get_push_config(t.GetPushConfigRequest(task_id=r.match_info["id"], id=r.match_info["config"]))


async def _push_list(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_list_push_configs(_query(r, t.ListPushConfigsRequest, taskId=r.match_info["id"]))


async def _push_delete(h: BoundHandler, r: web.Request) -> Any:
    await h.on_delete_push_config(t.DeletePushConfigRequest(task_id=r.match_info["id"], id=r.match_info["config"]))


async def _extended_card(h: BoundHandler, r: web.Request) -> Any:
    return await h.on_get_extended_agent_card()


def add_routes(app: web.Application) -> None:
    """Mount the binding (the JSON-RPC adapter's ``add_routes`` must have stored the handler)."""
    router = app.router
    router.add_post(PREFIX + "/message:send", _endpoint(_send))
    router.add_post(PREFIX + "/message:stream", _endpoint(_stream, streaming=True))
    router.add_get(PREFIX + "/tasks", _endpoint(_list))
    router.add_get(PREFIX + f"/tasks/{_ID}", _endpoint(_get))
    router.add_post(PREFIX + f"/tasks/{_ID}:cancel", _endpoint(_cancel))
    router.add_post(PREFIX + f"/tasks/{_ID}:subscribe", _endpoint(_subscribe, streaming=True))
    router.add_get(PREFIX + f"/tasks/{_ID}:subscribe", _endpoint(_subscribe, streaming=True))
    router.add_post(PREFIX + f"/tasks/{_ID}/pushNotificationConfigs", _endpoint(_push_create))
    router.add_get(PREFIX + f"/tasks/{_ID}/pushNotificationConfigs", _endpoint(_push_list))
    router.add_get(PREFIX + f"/tasks/{_ID}/pushNotificationConfigs/{{config}}", _endpoint(_push_get))
    router.add_delete(PREFIX + f"/tasks/{_ID}/pushNotificationConfigs/{{config}}", _endpoint(_push_delete))
    router.add_get(PREFIX + "/extendedAgentCard", _endpoint(_extended_card))
