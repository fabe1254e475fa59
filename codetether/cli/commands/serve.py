"""``codetether serve``: run this agent as an A2A peer (JSON-RPC+SSE, REST and gRPC at once)."""

import os
import sys
from pathlib import Path

import click

from ...errors import UsageError
from .. import output
from ..context import AppContext
from ..serving import auth_from_environment, run_async, start_peer, until_stopped


@click.command()
@click.option("--host", default=None, help="Listen address (default [a2a] host, 127.0.0.1).")
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=None,
    help="HTTP port (default [a2a] port, 4096); 0 picks a free one.",
)
@click.option(
    "--grpc-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="gRPC port (default CODETETHER_GRPC_PORT, then [a2a] grpc_port, 50051); 0 picks a free one.",
)
@click.option("--no-grpc", is_flag=True, help="Serve HTTP only.")
@click.option("--executor", "executor_spec", default=None, metavar="MODULE:ATTR", help="Load another executor.")
@click.option("--model", "-m", default=None, help="provider/model the default agent executor uses.")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory the agent works in (default: the current one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the served addresses as one JSON line on stdout.")
@click.option(
    "--queue-only", is_flag=True, help="Run no tasks here: queue them for `codetether worker` processes to take."
)
@click.pass_context
def serve(ctx, host, port, grpc_port, no_grpc, executor_spec, model, workspace, as_json, queue_only) -> None:
    """Serve the agent over A2A until interrupted. Every call needs the bearer token."""
    import msgspec

    from ...a2a.domain.executor import load_executor

    auth = auth_from_environment()
    loaded = ctx.ensure_object(AppContext).config()
    settings = loaded.config.a2a
    env_grpc = os.environ.get("CODETETHER_GRPC_PORT")
    if grpc_port is None and env_grpc:
        try:
            grpc_port = int(env_grpc)
        except ValueError as exc:
            raise UsageError(f"CODETETHER_GRPC_PORT={env_grpc!r} is not a port number") from exc
    settings = msgspec.structs.replace(
        settings,
        host=host or settings.host,
        port=settings.port if port is None else port,
        grpc_port=settings.grpc_port if grpc_port is None else grpc_port,
    )
    from ...bus import AgentBus
    from ...server.peer import SERVER_BUS_CAPACITY

    # One bus for the server and the agent: GET /v1/bus/stream shows the agent's runs beside the tasks.
    bus = AgentBus(capacity=SERVER_BUS_CAPACITY)
    from ...paths import data_dir
    from ...server.ops import OpsServices
    from ...server.peer import open_queue

    if queue_only and executor_spec:
        raise UsageError("--queue-only and --executor exclude each other", "workers run the tasks of --queue-only")
    shared = None
    if loaded.config.store.url:  # PostgreSQL: tasks and the queue shared with other replicas
        from ...server.shared_store import open_shared

        shared = open_shared(loaded.config.store, loaded.config.worker)
        queue = shared.queue
    else:
        queue = open_queue(data_dir() / "a2a" / "queue.sqlite3", loaded.config.worker)
    root = (workspace or Path.cwd()).resolve()
    if queue_only:
        from ...worker.queue_executor import QueueExecutor

        executor = QueueExecutor(queue)
        runtime = _own_runtime(loaded, bus)
    elif executor_spec:
        executor = load_executor(executor_spec)
        runtime = _own_runtime(loaded, bus)
    else:
        from ...a2a.server.agent_executor import AgentExecutor

        executor = AgentExecutor(loaded, root, model=model, bus=bus)
        runtime = executor.runtime  # cognition thinks on the executor's runtime: one set of providers
    ops = OpsServices.build(loaded, runtime, root, os.environ)
    run_async(
        _serve(settings, executor, auth, bus, grpc=not no_grpc, as_json=as_json, ops=ops, queue=queue, shared=shared)
    )


def _own_runtime(loaded, bus):
    """A runtime built on first use, for cognition beside an executor that has none of its own."""
    built = []

    def get():
        if not built:
            from ...runtime import Runtime

            built.append(Runtime(loaded, bus=bus))
        return built[0]

    return get


def _release_startup_memory() -> None:
    """Hand the heap that imports and start-up freed back to the OS: an idle server should be small."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        trim = getattr(ctypes.CDLL(libc_name), "malloc_trim", None)  # glibc only
        if trim is not None:
            trim(0)


async def _serve(
    settings, executor, auth, bus, *, grpc: bool, as_json: bool, ops=None, queue=None, shared=None
) -> None:
    import msgspec

    peer = await start_peer(
        settings,
        executor,
        auth,
        bus=bus,
        grpc=grpc,
        ops=ops,
        queue=queue,
        store=shared.tasks if shared else None,
        replicas=shared.replicas if shared else None,
    )
    _release_startup_memory()
    addresses = peer.addresses
    if as_json:
        sys.stdout.write(msgspec.json.encode(addresses).decode() + "\n")
        sys.stdout.flush()
    grpc_note = f", gRPC on {addresses.grpc_address}" if addresses.grpc_address else ""
    output.notice(
        f"A2A peer on {addresses.http_url} (JSON-RPC at /, REST at /a2a/rest{grpc_note}); "
        f"agent card at {addresses.http_url}/.well-known/agent-card.json. Ctrl-C stops."
    )
    try:
        await until_stopped()
    finally:
        output.notice("stopping: running tasks are canceled")
        await peer.stop()
