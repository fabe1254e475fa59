"""Real processes and loopback servers for the worker tests: serve, workers, a cuttable TCP proxy,
a fake cognition API."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from codetether.a2a.domain.types import TaskState

REPO = Path(__file__).resolve().parents[2]
TOKEN = "worker-test-token-0123456789abcdef"
GUARD = 120.0  # only a bound for a test that would otherwise hang


def free_port() -> int:
    """A loopback port free now (for a process that must come back on the same port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CODETETHER_AUTH_TOKEN": TOKEN,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **extra,
    }


class Proc:
    """A codetether subprocess whose first stdout line is JSON (its addresses)."""

    def __init__(self, proc: asyncio.subprocess.Process, info: dict[str, Any], stderr: Path) -> None:
        self.proc = proc
        self.info = info
        self.stderr_path = stderr

    @classmethod
    async def start(cls, args: list[str], cwd: Path, stderr: Path, extra_env: dict[str, str] | None = None) -> "Proc":
        handle = open(stderr, "ab")  # noqa: SIM115 - the child writes to it for its whole life
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "codetether",
            *args,
            cwd=cwd,
            env=env(**(extra_env or {})),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=handle,
        )
        handle.close()
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), GUARD)
        except TimeoutError:
            proc.kill()
            raise
        if not line:
            await proc.wait()
            raise AssertionError(f"codetether {args[0]} exited {proc.returncode}:\n{stderr.read_text()}")
        return cls(proc, json.loads(line), stderr)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), GUARD)


async def start_serve(workdir: Path, *options: str) -> Proc:
    """``codetether serve --queue-only``; ``options`` are global ``-o`` overrides and the like."""
    args = [*options, "serve", "--queue-only", "--port", "0", "--grpc-port", "0", "--json"]
    return await Proc.start(args, workdir, workdir / "serve-stderr.txt")


async def start_worker(server: str, workdir: Path, name: str, *options: str, extra_env=None, logs=None) -> Proc:
    """A worker on ``workdir``; its stderr goes to ``logs`` (default: ``workdir``)."""
    args = ["worker", "--server", server, "--name", name, "--workspaces", str(workdir), "--probe-port", "0", "--json"]
    log = (logs or workdir) / f"worker-{name}-stderr.txt"
    return await Proc.start([*args, *options], workdir, log, extra_env)


async def worker_status(session: aiohttp.ClientSession, worker: Proc) -> dict[str, Any]:
    async with session.get(f"http://127.0.0.1:{worker.info['probe_port']}/worker/status") as response:
        return await response.json()


async def until(check, what: str, timeout: float = GUARD):
    """Re-check ``check()`` (async, truthy when done) as things change; fails with ``what`` at the guard."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def input_required(client, task_id: str):
    """Wait until the A2A task asks for input (a worker's refused request ends it there); the task then."""

    async def waiting():
        return (await client.get_task(task_id)).status.state is TaskState.INPUT_REQUIRED

    await until(waiting, "the task to ask for input")
    return await client.get_task(task_id)


class Proxy:
    """A TCP proxy on loopback whose connections the test can cut, and which can refuse new ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.refusing = False
        self._pipes: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> "Proxy":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._pipes |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while chunk := await src.read(65536):
                    dst.write(chunk)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._pipes -= {writer, up_writer}

    def cut(self, *, refuse: bool) -> None:
        """Close every open connection; with ``refuse``, also close new ones at once until :meth:`allow`."""
        self.refusing = refuse
        for pipe in list(self._pipes):
            pipe.close()

    def allow(self) -> None:
        self.refusing = False

    async def stop(self) -> None:
        self.cut(refuse=True)
        if self._server is not None:
            self._server.close()


class FakeCognition:
    """The local cognition API a worker reads its heartbeat summary from (the two routes it calls)."""

    def __init__(self, thought: str) -> None:
        self.thought = thought
        self.requests: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "FakeCognition":
        app = web.Application()
        app.router.add_get("/v1/cognition/status", self._status)
        app.router.add_get("/v1/cognition/snapshots/latest", self._latest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def _status(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.json_response(
            {
                "running": True,
                "last_tick_at": "2026-01-01T00:00:00Z",
                "active_persona_count": 2,
                "events_buffered": 5,
                "snapshots_buffered": 1,
                "loop_interval_ms": 2000,
            }
        )

    async def _latest(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.json_response({"generated_at": "2026-01-01T00:00:01Z", "summary": self.thought, "metadata": {}})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
