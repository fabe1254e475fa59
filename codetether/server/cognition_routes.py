"""``/v1/cognition/*`` and ``/v1/swarm/personas*``: the cognition engine over HTTP and SSE.

The stream sends each thought event as ``event: cognition``, a reader that fell behind the ring
gets ``event: lag`` with how many it missed, and a quiet stream gets a keep-alive comment every
15 seconds, so a client that went away is noticed.
"""

import functools

import msgspec
from aiohttp import web

from ..cognition.engine import CognitionEngine
from ..cognition.errors import CognitionError
from ..cognition.memory import Lag
from ..cognition.types import CreatePersonaRequest, ReapRequest, SpawnPersonaRequest, StartRequest, StopRequest
from .json_io import json_body, json_response
from .sse import frame

COGNITION_KEY = web.AppKey("cognition", CognitionEngine)
KEEPALIVE_KEY = web.AppKey("cognition_keepalive", float)  # seconds; tests shorten it
KEEPALIVE_SECONDS = 15.0


def _error(exc: CognitionError) -> web.Response:
    return json_response({"error": exc.message, "hint": exc.hint}, exc.status)


def _invalid(why: str) -> CognitionError:
    return CognitionError(f"invalid body: {why}", "see docs/cognition.md for the request shapes")


_body = functools.partial(json_body, invalid=_invalid)


def _engine(request: web.Request) -> CognitionEngine:
    return request.app[COGNITION_KEY]


async def start(request: web.Request) -> web.Response:
    try:
        return json_response(_engine(request).start(await _body(request, StartRequest, optional=True)))
    except CognitionError as exc:
        return _error(exc)


async def stop(request: web.Request) -> web.Response:
    try:
        body = await _body(request, StopRequest, optional=True)
    except CognitionError as exc:
        return _error(exc)
    return json_response(await _engine(request).stop(body.reason))


async def status(request: web.Request) -> web.Response:
    return json_response(_engine(request).status())


async def latest_snapshot(request: web.Request) -> web.Response:
    snapshot = _engine(request).latest_snapshot()
    if snapshot is None:
        return json_response(
            {"error": "no memory snapshot yet", "hint": "personas write one every fourth thought"}, 404
        )
    return json_response(snapshot)


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
        return json_response(_engine(request).create_persona(await _body(request, CreatePersonaRequest)), 201)
    except CognitionError as exc:
        return _error(exc)


async def spawn(request: web.Request) -> web.Response:
    try:
        body = await _body(request, SpawnPersonaRequest)
        return json_response(_engine(request).spawn(request.match_info["persona_id"], body), 201)
    except CognitionError as exc:
        return _error(exc)


async def reap(request: web.Request) -> web.Response:
    try:
        body = await _body(request, ReapRequest, optional=True)
        return json_response(
            _engine(request).reap(request.match_info["persona_id"], cascade=body.cascade, reason=body.reason)
        )
    except CognitionError as exc:
        return _error(exc)


async def lineage(request: web.Request) -> web.Response:
    return json_response(_engine(request).lineage())


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
