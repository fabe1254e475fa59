"""A2A spec 0.3 over HTTP+JSON under ``/a2a/rest/v1/...``: 0.3 protobuf JSON bodies, SSE streams.

The 0.3 binding put its resources under ``/v1``; a 0.3 client sends no ``A2A-Version`` header (or
``0.3``). Bodies are validated against the 0.3 protobuf messages, then the shared
:class:`~codetether.a2a.server.v03_ops.V03Operations` do the mapping; gRPC's 0.3 service uses the same.
"""

from typing import Any

import msgspec
from aiohttp import web
from google.protobuf import json_format

from ..a2a import pb
from ..a2a.domain import errors
from ..a2a.domain.versions import HEADER, V03
from ..a2a.server.v03_ops import V03Operations
from .rest import PREFIX, make_endpoint, read_body

_ID = "{id:[^/:]+}"
_encode = msgspec.json.Encoder().encode


async def _proto_body(request: web.Request, message_name: str) -> dict[str, Any]:
    """The body checked against 0.3 message ``message_name`` and normalised (camelCase, defaults out)."""
    raw = await read_body(request)
    try:
        text = (raw or b"{}").decode()
    except UnicodeDecodeError as exc:
        raise errors.JSONParseError(f"Invalid JSON payload: the body is not UTF-8 ({exc})") from exc
    try:
        message = json_format.Parse(text, getattr(pb.v0_3(), message_name)(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise errors.InvalidParamsError(f"Invalid parameters: {exc}") from exc
    except RecursionError:  # json.loads under the parser: a clean 400, not a 500
        raise errors.InvalidRequestError("the request body's JSON nests too deeply") from None
    return json_format.MessageToDict(message)


def _history_length(request: web.Request) -> int | None:
    value = request.query.get("historyLength")
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise errors.InvalidParamsError(f"historyLength {value!r} is not a number") from exc


def _endpoint(route, *, streaming: bool = False):
    return make_endpoint(
        route,
        version=V03,
        wrong_version=f"/a2a/rest/v1/... is the spec 0.3 binding; for {HEADER}: 1.0 use the paths without /v1",
        target=V03Operations,
        streaming=streaming,
        content_type="application/json",
    )


async def _send(ops: V03Operations, r: web.Request) -> Any:
    return await ops.send(await _proto_body(r, "SendMessageRequest"))


async def _stream(ops: V03Operations, r: web.Request) -> Any:
    return await ops.stream(await _proto_body(r, "SendMessageRequest"))


async def _get(ops: V03Operations, r: web.Request) -> Any:
    return await ops.get_task(r.match_info["id"], _history_length(r))


async def _cancel(ops: V03Operations, r: web.Request) -> Any:
    return await ops.cancel(r.match_info["id"])


async def _subscribe(ops: V03Operations, r: web.Request) -> Any:
    return await ops.subscribe(r.match_info["id"])


async def _push_create(ops: V03Operations, r: web.Request) -> Any:
    body = await _proto_body(r, "CreateTaskPushNotificationConfigRequest")
    return await ops.create_push(r.match_info["id"], body.get("configId", ""), body.get("config", {}))


async def _push_get(ops: V03Operations, r: web.Request) -> Any:
    return await ops.get_push(r.match_info["id"], r.match_info["config"])


async def _push_list(ops: V03Operations, r: web.Request) -> Any:
    return await ops.list_push(r.match_info["id"])


async def _push_delete(ops: V03Operations, r: web.Request) -> Any:
    await ops.delete_push(r.match_info["id"], r.match_info["config"])


async def _card(ops: V03Operations, r: web.Request) -> Any:
    return await ops.card()


async def _no_list(ops: V03Operations, r: web.Request) -> Any:
    raise errors.MethodNotFoundError(f"ListTasks is not part of spec 0.3; send {HEADER}: 1.0 to GET /a2a/rest/tasks")


def add_routes(app: web.Application) -> None:
    base = PREFIX + "/v1"
    router = app.router
    router.add_post(base + "/message:send", _endpoint(_send))
    router.add_post(base + "/message:stream", _endpoint(_stream, streaming=True))
    router.add_get(base + f"/tasks/{_ID}", _endpoint(_get))
    router.add_post(base + f"/tasks/{_ID}:cancel", _endpoint(_cancel))
    router.add_post(base + f"/tasks/{_ID}:subscribe", _endpoint(_subscribe, streaming=True))
    router.add_get(base + f"/tasks/{_ID}:subscribe", _endpoint(_subscribe, streaming=True))
    router.add_post(base + f"/tasks/{_ID}/pushNotificationConfigs", _endpoint(_push_create))
    router.add_get(base + f"/tasks/{_ID}/pushNotificationConfigs", _endpoint(_push_list))
    router.add_get(base + f"/tasks/{_ID}/pushNotificationConfigs/{{config}}", _endpoint(_push_get))
    router.add_delete(base + f"/tasks/{_ID}/pushNotificationConfigs/{{config}}", _endpoint(_push_delete))
    router.add_get(base + "/card", _endpoint(_card))
    router.add_get(base + "/tasks", _endpoint(_no_list))
