"""The worker routes (the paths the original CodeTether worker calls), adapted onto :class:`WorkQueue`.

Each route decodes its body, calls one queue method with the caller's principal and encodes the
answer; the queue's errors carry their HTTP status. The task stream is Server-Sent Events: each
task-available event has the queue's sequence number as its ``id``, a reconnecting worker sends the
last one it saw as ``Last-Event-ID`` and gets every event after it (within the replay window; older
cursors get one ``resync-required`` event and should poll ``GET /v1/agent/tasks?status=pending``).
"""

import functools

import msgspec
from aiohttp import web

from ..security.principal import Principal
from ..worker import errors
from ..worker.queue import Resync, WorkQueue
from ..worker.types import (
    ClaimRequest,
    Heartbeat,
    OutputRequest,
    PendingTasks,
    RegisterRequest,
    ReleaseRequest,
    TaskClaimed,
)
from .auth import principal_of
from .json_io import json_body, json_response
from .sse import frame, open_stream

QUEUE_KEY = web.AppKey("work_queue", WorkQueue)

_encode = msgspec.json.Encoder().encode


def _error(exc: errors.QueueError) -> web.Response:
    body = {"error": exc.message, **({"hint": exc.hint} if exc.hint else {})}
    return json_response(body, exc.status)


def _invalid(why: str) -> errors.BadRequest:
    return errors.BadRequest(f"invalid request body: {why}")


_body = functools.partial(json_body, invalid=_invalid, optional=True)


def _route(handler):
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request, request.app[QUEUE_KEY], principal_of(request))
        except errors.QueueError as exc:
            return _error(exc)

    return wrapped


@_route
async def register(request: web.Request, queue: WorkQueue, principal: Principal) -> web.Response:
    return json_response(queue.register(principal, await _body(request, RegisterRequest)), 201)


@_route
async def heartbeat(request: web.Request, queue: WorkQueue, principal: Principal) -> web.Response:
    return json_response(queue.heartbeat(principal, request.match_info["worker_id"], await _body(request, Heartbeat)))


@_route
async def list_workers(request: web.Request, queue: WorkQueue, principal: Principal) -> web.Response:
    return json_response({"workers": queue.workers(principal)})


@_route
async def pending(request: web.Request, queue: WorkQueue, principal: Principal) -> web.Response:
    status = request.query.get("status", "pending")
    if status != "pending":
        raise errors.BadRequest(f"status={status!r}: only pending tasks are listed here; read others over A2A")
    return json_response(PendingTasks(tasks=queue.pending(principal)))


@_route
async def claim(request: web.Request, queue: WorkQueue, principal: Principal) -> web.Response:
    return json_response(queue.claim(principal, await _body(request, ClaimRequest)))


@_route
async def output(request: web.Request, queue: WorkQueue, principal: Principal) -> web.Response:
    await queue.output(principal, request.match_info["task_id"], await _body(request, OutputRequest))
    return json_response({"ok": True})


@_route
async def release(request: web.Request, queue: WorkQueue, principal: Principal) -> web.Response:
    await queue.release(principal, await _body(request, ReleaseRequest))
    return json_response({"ok": True})


def _cursor(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # not one of ours: outside every window, so the worker is told to resync


@_route
async def stream(request: web.Request, queue: WorkQueue, principal: Principal) -> web.StreamResponse:
    if principal.kind != "worker" and not principal.admin:
        raise errors.Forbidden("only workers and the admin follow the task stream")
    events = queue.events(_cursor(request), principal.worker_id)
    response = await open_stream(request)
    try:
        await response.write(b"retry: 2000\n\n")
        async for event in events:
            if event is None:
                await response.write(b": keep-alive\n\n")
            elif isinstance(event, Resync):
                await response.write(frame(_encode(event).decode(), event="resync-required"))
            elif isinstance(event, TaskClaimed):  # advisory: no id, not part of the replayable sequence
                await response.write(frame(_encode(event).decode(), event="task.claimed"))
            else:
                await response.write(frame(_encode(event).decode(), event=event.type, event_id=str(event.seq)))
    except (ConnectionResetError, RuntimeError):
        pass  # the worker went away
    finally:
        await events.aclose()
    return response


def add_routes(app: web.Application, queue: WorkQueue) -> None:
    app[QUEUE_KEY] = queue
    app.router.add_post("/v1/agent/workers/register", register)
    app.router.add_post("/v1/agent/workers/{worker_id}/heartbeat", heartbeat)
    app.router.add_get("/v1/agent/workers", list_workers)
    app.router.add_get("/v1/worker/connected", list_workers)
    app.router.add_get("/v1/agent/tasks", pending)
    app.router.add_get("/v1/worker/tasks/stream", stream)
    app.router.add_post("/v1/worker/tasks/claim", claim)
    app.router.add_post("/v1/agent/tasks/{task_id}/output", output)
    app.router.add_post("/v1/worker/tasks/release", release)
