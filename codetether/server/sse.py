"""Writing Server-Sent Events with aiohttp."""

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..a2a.domain.errors import A2AError

HEARTBEAT_SECONDS = 15.0  # a comment this often on a quiet stream finds clients that went away


async def open_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    return response


def frame(data: str, event: str | None = None, event_id: str | None = None) -> bytes:
    lines = []
    if event_id:
        lines.append(f"id: {event_id}")
    if event:
        lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


async def write_events(
    request: web.Request,
    events: Any,
    encode: Callable[[Any], bytes],
    encode_error: Callable[[A2AError], bytes],
) -> web.StreamResponse:
    """Stream ``events`` (an A2A event stream) as ``data:`` frames; always closes the stream.

    ``None`` from the stream is a heartbeat (written as a comment); an A2A error raised mid-stream
    becomes one last frame; a client that went away ends the loop quietly.
    """
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    try:
        events.heartbeat = HEARTBEAT_SECONDS
        await response.prepare(request)
        async for event in events:
            await response.write(b": keep-alive\n\n" if event is None else b"data: " + encode(event) + b"\n\n")
    except (ConnectionResetError, RuntimeError):
        pass  # the client went away
    except A2AError as exc:
        await response.write(b"data: " + encode_error(exc) + b"\n\n")
    finally:
        await events.aclose()
    return response
