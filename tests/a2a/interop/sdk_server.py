"""Reference A2A server built only from the official a2a-sdk 1.3.0, for interop tests and benchmarks.

Run as a separate process (the SDK registers its protobuf files in the default descriptor pool, as ours do):

    python sdk_server.py --http-port 0 --grpc-port 0 [--executor echo|slow|instant]

It serves JSON-RPC at ``/`` (spec 1.0 and 0.3 on the same endpoint), REST at ``/a2a/rest`` (1.0 and 0.3),
gRPC ``lf.a2a.v1.A2AService`` (1.0) and ``a2a.v1.A2AService`` (0.3) on one port, and the card at
``/.well-known/agent-card.json`` listing all six interfaces. When ready it prints one JSON line
``{"http": "http://127.0.0.1:PORT", "grpc": "127.0.0.1:PORT"}``. SIGTERM/SIGINT stop it with exit code 0.

Executors: ``echo`` (task, working, artifact "echo: <text>", completed with an agent message),
``instant`` (task, artifact, completed: the throughput baseline) and ``slow`` (task, working with the agent
message "working slowly...", then ~30 s unless canceled). With echo/instant, the text "slow" selects the slow
behaviour, so one server covers the whole interop scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys

import grpc
import httpx
from a2a.compat.v0_3 import a2a_v0_3_pb2_grpc
from a2a.compat.v0_3.grpc_handler import CompatGrpcHandler
from a2a.helpers import new_task_from_user_message, new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler, GrpcHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes, create_rest_routes
from a2a.server.tasks import (
    BasePushNotificationSender,
    InMemoryPushNotificationConfigStore,
    InMemoryTaskStore,
    TaskUpdater,
)
from a2a.types import a2a_pb2_grpc
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
)
from starlette.applications import Starlette

REST_PREFIX = "/a2a/rest"
SLOW_SECONDS = 30.0
EXECUTORS = ("echo", "instant", "slow")


class ReferenceExecutor(AgentExecutor):
    """Echo / instant / slow agent; the message text "slow" always selects the slow behaviour."""

    def __init__(self, mode: str = "echo") -> None:
        if mode not in EXECUTORS:
            raise ValueError(f"unknown executor {mode!r}; choose from {EXECUTORS}")
        self.mode = mode

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        text = context.get_user_input()
        task = context.current_task
        if task is None:
            task = new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        mode = "slow" if text.strip().lower() == "slow" else self.mode
        if mode == "instant":
            await updater.add_artifact([new_text_part(f"echo: {text}")], name="echo", last_chunk=True)
            await updater.complete()
        elif mode == "echo":
            await updater.start_work()
            reply = f"echo: {text}"
            await updater.add_artifact([new_text_part(reply)], name="echo", last_chunk=True)
            await updater.complete(updater.new_agent_message([new_text_part(reply)]))
        else:
            await updater.start_work(updater.new_agent_message([new_text_part("working slowly...")]))
            # The framework cancels this coroutine on CancelTask, after calling cancel() below.
            await asyncio.sleep(SLOW_SECONDS)
            await updater.add_artifact([new_text_part(f"slow: {text}")], name="slow", last_chunk=True)
            await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is None or not context.task_id:
            return
        await TaskUpdater(event_queue, context.task_id, task.context_id).cancel()


def build_agent_card(http_url: str, grpc_target: str | None) -> AgentCard:
    """Card listing JSON-RPC, REST and (if given) gRPC, each for spec 1.0 and 0.3 (1.0 first, like the sample)."""
    base = http_url.rstrip("/")
    interfaces = []
    for version in ("1.0", "0.3"):
        interfaces.append(AgentInterface(url=f"{base}/", protocol_binding="JSONRPC", protocol_version=version))
        interfaces.append(
            AgentInterface(url=f"{base}{REST_PREFIX}", protocol_binding="HTTP+JSON", protocol_version=version)
        )
        if grpc_target:
            interfaces.append(AgentInterface(url=grpc_target, protocol_binding="GRPC", protocol_version=version))
    return AgentCard(
        name="Echo Agent",
        description="Echoes the user text back (a2a-sdk 1.3.0 reference sample).",
        supported_interfaces=interfaces,
        provider=AgentProvider(url="https://example.com", organization="a2a-research"),
        version="1.0.0",
        capabilities=AgentCapabilities(streaming=True, push_notifications=True, extended_agent_card=False),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id="echo", name="Echo", description="Echo text back", tags=["echo"], examples=["hello"])],
    )


def build_request_handler(executor_name: str, card: AgentCard) -> DefaultRequestHandler:
    """The SDK's default handler: in-memory task store, in-memory push config store, HTTP push sender."""
    push_store = InMemoryPushNotificationConfigStore()
    push_sender = BasePushNotificationSender(httpx.AsyncClient(timeout=5.0), push_store)
    return DefaultRequestHandler(
        agent_executor=ReferenceExecutor(executor_name),
        task_store=InMemoryTaskStore(),
        agent_card=card,
        push_config_store=push_store,
        push_sender=push_sender,
    )


def build_reference_app(
    executor_name: str = "instant",
    *,
    http_url: str = "http://127.0.0.1:8000",
    grpc_target: str | None = None,
    handler: DefaultRequestHandler | None = None,
) -> Starlette:
    """ASGI app (card + JSON-RPC 1.0/0.3 at ``/`` + REST 1.0/0.3 at ``/a2a/rest``) for running under any server.

    ``http_url``/``grpc_target`` only shape the card's interface URLs. Pass ``handler`` to share task state with
    a gRPC server set up with :func:`add_grpc_services`.
    """
    card = build_agent_card(http_url, grpc_target)
    if handler is None:
        handler = build_request_handler(executor_name, card)
    routes = [
        *create_agent_card_routes(card),
        *create_jsonrpc_routes(handler, "/", enable_v0_3_compat=True),
        *create_rest_routes(handler, enable_v0_3_compat=True, path_prefix=REST_PREFIX),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):  # type: ignore[no-untyped-def]
        yield
        await handler.aclose()

    return Starlette(routes=routes, lifespan=lifespan)


def add_grpc_services(server: grpc.aio.Server, handler: DefaultRequestHandler) -> None:
    """Register the 1.0 (``lf.a2a.v1.A2AService``) and 0.3 (``a2a.v1.A2AService``) services on one server."""
    a2a_pb2_grpc.add_A2AServiceServicer_to_server(GrpcHandler(handler), server)
    a2a_v0_3_pb2_grpc.add_A2AServiceServicer_to_server(CompatGrpcHandler(handler), server)


async def _serve(http_port: int, grpc_port: int, executor_name: str) -> None:
    import uvicorn

    class _Server(uvicorn.Server):
        # uvicorn re-raises a captured SIGTERM after shutdown (exit 143); we handle signals ourselves instead.
        @contextlib.contextmanager
        def capture_signals(self):  # type: ignore[no-untyped-def,override]
            yield

    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets whose proto is IPPROTO_TCP, and accepted
    # sockets inherit it. With proto=0 every keep-alive response stalls ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", http_port))
    http_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    # Bind both ports first: the card (which the handler also holds) lists them.
    grpc_server = grpc.aio.server()
    bound_grpc = grpc_server.add_insecure_port(f"127.0.0.1:{grpc_port}")
    if bound_grpc == 0:
        raise OSError(f"cannot bind gRPC port {grpc_port}")
    grpc_target = f"127.0.0.1:{bound_grpc}"
    handler = build_request_handler(executor_name, build_agent_card(http_url, grpc_target))
    add_grpc_services(grpc_server, handler)
    app = build_reference_app(executor_name, http_url=http_url, grpc_target=grpc_target, handler=handler)

    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = _Server(config)

    loop = asyncio.get_running_loop()

    stopping: list[asyncio.Task[None]] = []

    async def _drain_then_exit() -> None:
        # Drain running tasks first so open SSE streams end and uvicorn's graceful shutdown has nothing to wait on.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(handler.aclose(), timeout=3)
        server.should_exit = True

    def _stop() -> None:
        if stopping:
            server.force_exit = True
            return
        stopping.append(asyncio.ensure_future(_drain_then_exit()))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stop)

    await grpc_server.start()
    serve_task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serve_task.done():
            await serve_task
            raise RuntimeError("uvicorn exited before starting")
        await asyncio.sleep(0.01)
    sys.stdout.write(json.dumps({"http": http_url, "grpc": grpc_target}) + "\n")
    sys.stdout.flush()
    try:
        await serve_task
    finally:
        await grpc_server.stop(grace=1.0)
        sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--grpc-port", type=int, default=0)
    parser.add_argument("--executor", choices=EXECUTORS, default="echo")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.http_port, args.grpc_port, args.executor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
