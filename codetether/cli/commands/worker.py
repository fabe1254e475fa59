"""``codetether worker``: join a ``codetether serve --queue-only`` (or the original's control plane) as a worker."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import click

from ...errors import UsageError
from .. import output
from ..context import AppContext


def _workspaces(raw: str | None) -> list[Path]:
    if not raw:
        return [Path.cwd().resolve()]
    paths = []
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        path = Path(part).expanduser().resolve()
        if not path.is_dir():
            raise UsageError(f"--workspaces: {part} is not a directory", "give existing directories, comma-separated")
        paths.append(path)
    if not paths:
        raise UsageError("--workspaces is empty", "give at least one directory")
    return paths


@click.command()
@click.option("--server", envvar="CODETETHER_SERVER", required=True, help="The serve URL, e.g. http://127.0.0.1:4096.")
@click.option("--token", envvar="CODETETHER_AUTH_TOKEN", default=None, help="The server's token (to register).")
@click.option("--name", default=None, help="This worker's name (default: the host name and pid).")
@click.option("--workspaces", default=None, help="Directories tasks may run in, comma-separated (default: here).")
@click.option(
    "--max-concurrent-tasks", type=click.IntRange(1, 64), default=4, show_default=True, help="Tasks run at once."
)
@click.option(
    "--auto-approve",
    type=click.Choice(["all", "safe", "none"]),
    default="safe",
    show_default=True,
    help="safe: reads and edits in the workspace; anything else ends the task input-required.",
)
@click.option("--model", "-m", default=None, help="provider/model for tasks that name none.")
@click.option(
    "--probe-host", default="127.0.0.1", show_default=True, help="Where /health, /ready, /worker/status listen."
)
@click.option("--probe-port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="0: a free port.")
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="How often the pending list is read besides the task stream.",
)
@click.option("--heartbeat-seconds", type=click.FloatRange(min=0.1), default=None, help="Default: the server's.")
@click.option("--executor", "executor_spec", default=None, metavar="MODULE:ATTR|instant", help="Run tasks another way.")
@click.option("--json", "as_json", is_flag=True, help="Print the worker id and probe port as one JSON line.")
@click.pass_context
def worker(
    ctx,
    server,
    token,
    name,
    workspaces,
    max_concurrent_tasks,
    auto_approve,
    model,
    probe_host,
    probe_port,
    poll_seconds,
    heartbeat_seconds,
    executor_spec,
    as_json,
) -> None:
    """Take tasks from a CodeTether server and run them here, until SIGTERM or Ctrl-C."""
    if not token:
        raise UsageError("no token to register with", "pass --token or set CODETETHER_AUTH_TOKEN to the server's token")
    if not server.startswith(("http://", "https://")):
        raise UsageError(f"--server {server!r} is not an http(s) URL", "e.g. --server http://127.0.0.1:4096")
    from ...worker.daemon import WorkerOptions

    options = WorkerOptions(
        server=server,
        token=token,
        name=name or f"{os.uname().nodename}-{os.getpid()}",
        workspaces=_workspaces(workspaces),
        max_concurrent=max_concurrent_tasks,
        poll_seconds=poll_seconds,
        heartbeat_seconds=heartbeat_seconds,
        model=model,
    )
    executor = _executor(executor_spec, ctx.ensure_object(AppContext), auto_approve, model)
    from ..serving import run_async

    run_async(_work(options, executor, probe_host, probe_port, as_json))


def _executor(spec, app: AppContext, auto_approve, model):
    from ...worker.execute import AgentTaskExecutor, InstantExecutor

    if spec == "instant":
        return InstantExecutor()
    if spec:
        import importlib

        module_name, _, attribute = spec.partition(":")
        try:
            target = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError, ValueError) as exc:
            raise UsageError(f"cannot load executor {spec}: {exc}", "give module:attribute, or 'instant'") from exc
        return target() if isinstance(target, type) else target
    from ...bus import AgentBus

    return AgentTaskExecutor(app.config(), auto_approve, model=model, bus=AgentBus())


async def _work(options, executor, probe_host, probe_port, as_json) -> None:
    import aiohttp
    import msgspec

    from ...worker.client import QueueClientError
    from ...worker.cognition import CognitionSettings
    from ...worker.daemon import Worker
    from ...worker.probe import Probe

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    cognition = CognitionSettings.from_environment(os.environ)
    async with aiohttp.ClientSession() as session:
        worker = Worker(options, executor, session, cognition)
        try:
            probe = await Probe(worker.status, worker.ready).start(probe_host, probe_port)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {probe_host}:{probe_port}: {exc.strerror or exc}",
                "pick another --probe-port (0 picks a free one)",
            ) from exc
        try:
            try:
                await worker.register()
            except QueueClientError as exc:
                raise UsageError(
                    f"cannot register with {options.server}: {exc}",
                    "check --server and that --token is the server's token",
                ) from exc
            if as_json:
                line = {"worker_id": worker.stats.worker_id, "probe_port": probe.port, "name": options.name}
                sys.stdout.write(msgspec.json.encode(line).decode() + "\n")
                sys.stdout.flush()
            output.notice(
                f"worker {worker.stats.worker_id} ({options.name}) taking tasks from {options.server}; "
                f"probe on http://{probe_host}:{probe.port}/worker/status. Ctrl-C stops."
            )
            await worker.run(stop, registered=True)
        finally:
            output.notice("worker stopping: running tasks are handed back to the queue")
            await probe.stop()
            await executor.aclose()
