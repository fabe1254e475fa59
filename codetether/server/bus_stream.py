"""``GET /v1/bus/stream?pattern=...``: live bus traffic as SSE, for dashboards and debugging.

Only the translation lives here: subscribe, encode each envelope as JSON, write it as an event.
``codetether serve`` mounts it (behind its authentication) with :func:`add_routes`.
"""

import msgspec
from aiohttp import web

from ..bus import AgentBus
from .sse import frame, open_stream

BUS_KEY = web.AppKey("bus", AgentBus)
KEEPALIVE_SECONDS = 15.0
POLL_SECONDS = 0.5  # how soon a closed connection is noticed while the bus is quiet


async def stream_bus(request: web.Request) -> web.StreamResponse:
    bus = request.app[BUS_KEY]
    pattern = request.query.get("pattern", "#")
    try:
        subscription = bus.subscribe(pattern)
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text=msgspec.json.encode({"error": str(exc)}).decode(), content_type="application/json"
        ) from exc
    response = await open_stream(request)
    quiet = 0.0
    try:
        while request.transport is not None and not request.transport.is_closing():
            batch = await subscription.next_batch(timeout=POLL_SECONDS)
            if not batch:
                quiet += POLL_SECONDS
                if quiet >= KEEPALIVE_SECONDS:
                    await response.write(b": keep-alive\n\n")
                    quiet = 0.0
                continue
            quiet = 0.0
            if subscription.missed:
                await response.write(frame(msgspec.json.encode({"missed": subscription.missed}).decode(), "lagged"))
                subscription.missed = 0
            for envelope in batch:
                await response.write(frame(msgspec.json.encode(envelope).decode(), "envelope", envelope.id))
    except (ConnectionResetError, RuntimeError):
        pass  # the client went away
    finally:
        subscription.close()
    return response


def add_routes(app: web.Application, bus: AgentBus) -> None:
    app[BUS_KEY] = bus
    app.router.add_get("/v1/bus/stream", stream_bus)
