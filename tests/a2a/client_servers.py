"""Real A2A servers in subprocesses for the client tests: the a2a-sdk reference server and `codetether serve`.

Each prints one JSON line with its addresses once it listens; ``running`` waits for it (or fails with
the server's stderr), yields, and stops the process on the way out.
"""

import contextlib
import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SDK_SERVER = Path(__file__).parent / "interop" / "sdk_server.py"
TOKEN = "client-test-token-0123456789"
START_TIMEOUT = 60.0


@dataclass
class Server:
    name: str
    url: str  # HTTP base URL (the card is under it)
    grpc: str  # host:port
    token: str | None  # what the server wants; None: it wants nothing


@contextlib.contextmanager
def running(name: str, argv: list[str], env: dict[str, str], log: Path, token: str | None) -> Iterator[Server]:
    with log.open("w") as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=log.parent, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        line = proc.stdout.readline() if ready else ""
        if not line:
            proc.kill()
            raise RuntimeError(f"{name} did not start:\n{log.read_text()}")
        info = json.loads(line)
        yield Server(name, info.get("http") or info["http_url"], info.get("grpc") or info["grpc_address"], token)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sdk_server(tmp: Path) -> contextlib.AbstractContextManager[Server]:
    argv = [sys.executable, str(SDK_SERVER), "--http-port", "0", "--grpc-port", "0", "--executor", "echo"]
    return running("a2a-sdk server", argv, dict(os.environ), tmp / "sdk-server.log", None)


def our_server(tmp: Path) -> contextlib.AbstractContextManager[Server]:
    """`codetether serve` with its own HOME, a fixed token, the test executor, and loopback webhooks allowed."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CODETETHER_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        CODETETHER_AUTH_TOKEN=TOKEN,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    argv = [
        sys.executable,
        "-m",
        "codetether",
        "-o",
        "a2a.allow_private_push_urls=true",
        "serve",
        "--executor",
        "tests.a2a.client_executor:ClientTestExecutor",
        "--port",
        "0",
        "--grpc-port",
        "0",
        "--json",
    ]
    return running("codetether serve", argv, env, tmp / "codetether-serve.log", TOKEN)
