"""``/v1/cognition/*`` and ``/v1/swarm/personas*``: the cognition engine over HTTP and SSE.

The stream sends each thought event as ``event: cognition``, a reader that fell behind the ring
gets ``event: lag`` with how many it missed, and a quiet stream gets a keep-alive comment every
15 seconds, so a client that went away is noticed.
"""

from typing import TypeVar

import msgspec
from aiohttp import web

from ..cognition.engine import CognitionEngine
from ..cognition.errors import CognitionError
from ..cognition.memory import Lag
from ..cognition.types import CreatePersonaRequest, ReapRequest, SpawnPersonaRequest, StartRequest, StopRequest
from .sse import frame

COGNITION_KEY = web.AppKey("cognition", CognitionEngine)
KEEPALIVE_KEY = web.AppKey("cognition_keepalive", float)  # seconds; tests shorten it
KEEPALIVE_SECONDS = 15.0
T = TypeVar("T")


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=msgspec.json.encode(data), content_type="application/json")


def _error(exc: CognitionError) -> web.Response:
    return _json({"error": exc.message, "hint": exc.hint}, exc.status)


async def _body(request: web.Request, kind: type[T], *, optional: bool = False) -> T:
    raw = await request.read()
    if optional and not raw.strip():
        return kind()
    try:
        return msgspec.json.decode(raw, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CognitionError(f"invalid body: {exc}", "see docs/cognition.md for the request shapes") from exc


def _engine(request: web.Request) -> CognitionEngine:
    return request.app[COGNITION_KEY]


async def start(request: web.Request) -> web.Response:
    try:
        return _json(_engine(request).start(await _body(request, StartRequest, optional=True)))
    except CognitionError as exc:
        return _error(exc)


async def stop(request: web.Request) -> web.Response:
    try:
        body = await _body(request, StopRequest, optional=True)
    except CognitionError as exc:
        return _error(exc)
    return _json(await _engine(request).stop(body.reason))


async def status(request: web.Request) -> web.Response:
    return _json(_engine(request).status())


async def latest_snapshot(request: web.Request) -> web.Response:
    snapshot = _engine(request).latest_snapshot()
    if snapshot is None:
        return _json({"error": "no memory snapshot yet", "hint": "personas write one every fourth thought"}, 404)
    return _json(snapshot)


async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    events = _engine(request).follow(heartbeat=request.app.get(KEEPALIVE_KEY, KEEPALIVE_SECONDS))
    try:
        await response.write(b": connected\n\n")
        async for event in events:
            if event is None:
                chunk = b": keep-alive\n\n"
            elif isinstance(event, Lag):
                chunk = frame(msgspec.json.encode(event).decode(), "lag")
            else:
                chunk = frame(msgspec.json.encode(event).decode(), "cognition", event.id)
            await response.write(chunk)
    except (ConnectionResetError, RuntimeError):
        pass  # the client went away
    finally:
        await events.aclose()
    return response


async def create_persona(request: web.Request) -> web.Response:
    try:
        return _json(_engine(request).create_persona(await _body(request, CreatePersonaRequest)), 201)
    except CognitionError as exc:
        return _error(exc)


async def spawn(request: web.Request) -> web.Response:
    try:
        body = await _body(request, SpawnPersonaRequest)
        return _json(_engine(request).spawn(request.match_info["persona_id"], body), 201)
    except CognitionError as exc:
        return _error(exc)


async def reap(request: web.Request) -> web.Response:
    try:
        body = await _body(request, ReapRequest, optional=True)
        return _json(_engine(request).reap(request.match_info["persona_id"], cascade=body.cascade, reason=body.reason))
    except CognitionError as exc:
        return _error(exc)


async def lineage(request: web.Request) -> web.Response:
    return _json(_engine(request).lineage())


def add_routes(app: web.Application, engine: CognitionEngine) -> None:
    app[COGNITION_KEY] = engine
    app.router.add_post("/v1/cognition/start", start)
    app.router.add_post("/v1/cognition/stop", stop)
    app.router.add_get("/v1/cognition/status", status)
    app.router.add_get("/v1/cognition/stream", stream)
    app.router.add_get("/v1/cognition/snapshots/latest", latest_snapshot)
    app.router.add_post("/v1/swarm/personas", create_persona)
    app.router.add_post("/v1/swarm/personas/{persona_id}/spawn", spawn)
    app.router.add_post("/v1/swarm/personas/{persona_id}/reap", reap)
    app.router.add_get("/v1/swarm/lineage", lineage)
