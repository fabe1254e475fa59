"""How promptly each limit stops what it limits: the timing the tests no longer assert on.

Every row runs the limited case and a baseline in the same run, and prints the ratio (target ≈ 1.0x:
a limit costs little beyond the time it grants):

- retry-after: a provider stream answered 429 with ``Retry-After: 0.2`` then a reply, against a plain
  stream plus ``asyncio.sleep(0.2)``.
- vault-timeout: ``VaultSecrets.read`` on a Vault that accepts and never answers (VAULT_TIMEOUT=0.5),
  against a raw socket ``recv`` with a 0.5 s timeout on the same listener.
- bash-timeout / bash-bg-group / bash-stdout-closed: the bash tool killed at ``timeout=0.5`` (a plain
  sleep; a backgrounded grandchild; a command that closed its stdout), against ``sleep 0.5`` ending itself.
- sandbox-wall: ``sleep 1000 & sleep 1000`` under ``max_wall_seconds=0.5``, against ``sleep 0.5``.
- sandbox-cpu: a shell spinner under ``max_cpu_seconds=1``, against a program that burns 1 s of CPU and exits.
- fork-bomb: a bomb under ``max_processes=16`` (wall 6 s) until contained, against the bomb's own ``sleep 2``.
- audit-kill9: three audit writers until each has acknowledged 15 records, against one writer alone.

    python bench/limits.py [--rounds 3]
"""

import argparse
import asyncio
import logging
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codetether.errors import VaultError
from codetether.providers import Message, Request, collect
from codetether.providers.http import close_shared_session
from codetether.secrets import VaultSecrets, VaultSettings
from codetether.security.sandbox import SandboxPolicy, run
from tests.fakes.llm import FakeLLM, Fault, Reply
from tests.providers.conftest import make_provider
from tests.security.test_audit import WRITER
from tests.tools.conftest import Harness

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")
BURN_ONE_CPU_SECOND = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 1:\n    pass\n"


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def rounds(n: int, action: Callable[[], Awaitable[object]]) -> float:
    return statistics.median([await timed(action) for _ in range(n)])


class HangingListener:
    """Accepts connections and never answers (a hung Vault)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def addr(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return


async def retry_after(n: int) -> tuple[float, float]:
    server = await FakeLLM().start()
    provider = make_provider(server, "openai")
    request = Request(model="fake-large", messages=[Message.user("bench")])

    async def limited() -> None:
        server.script(Fault("status", status=429, retry_after=0.2), Reply(text="ok"))
        await collect(provider.stream(request))

    async def baseline() -> None:
        server.script(Reply(text="ok"))
        await collect(provider.stream(request))
        await asyncio.sleep(0.2)

    try:
        return await rounds(n, limited), await rounds(n, baseline)
    finally:
        await close_shared_session()
        await server.stop()


async def vault_timeout(n: int) -> tuple[float, float]:
    listener = HangingListener()
    client = VaultSecrets(
        VaultSettings.from_env({"VAULT_ADDR": listener.addr, "VAULT_TOKEN": "t" * 20, "VAULT_TIMEOUT": "0.5"})
    )

    def limited() -> None:
        try:
            client.read("openai")
        except VaultError:
            return
        raise AssertionError("a hung Vault answered")

    def baseline() -> None:
        with socket.create_connection(listener.sock.getsockname()) as raw:
            raw.settimeout(0.5)
            try:
                raw.recv(1)
            except TimeoutError:
                return

    return (
        await rounds(n, lambda: asyncio.to_thread(limited)),
        await rounds(n, lambda: asyncio.to_thread(baseline)),
    )


async def bash(n: int, command: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        tools = Harness(Path(tmp))
        return (
            await rounds(n, lambda: tools.ok("bash", command=command, timeout=0.5)),
            await rounds(n, lambda: tools.ok("bash", command="sleep 0.5")),
        )


async def sandbox(n: int, limited: list[str], baseline: list[str], **policy) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        box = Path(tmp)
        box.chmod(0o777)  # the sandboxed program may run as an unprivileged user
        limits = SandboxPolicy(**{"max_wall_seconds": 10.0, "max_cpu_seconds": 5, **policy})
        plain = SandboxPolicy(max_wall_seconds=10.0, max_cpu_seconds=5)
        return await rounds(n, lambda: run(limited, limits, box)), await rounds(n, lambda: run(baseline, plain, box))


def audit_writers(count: int, acknowledged: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        writers = [
            subprocess.Popen([sys.executable, "-c", WRITER, tmp, f"w{i}"], stdout=subprocess.PIPE, text=True)
            for i in range(count)
        ]
        try:
            for proc in writers:
                for _ in range(acknowledged):
                    proc.stdout.readline()
        finally:
            for proc in writers:
                proc.send_signal(signal.SIGKILL)
                proc.communicate()


async def audit_kill9(n: int) -> tuple[float, float]:
    return (
        await rounds(n, lambda: asyncio.to_thread(audit_writers, 3, 15)),
        await rounds(n, lambda: asyncio.to_thread(audit_writers, 1, 15)),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    n = parser.parse_args().rounds
    logging.getLogger("codetether").setLevel(logging.ERROR)  # the retry notices are expected here
    bomb = "bomb() { bomb | bomb & }; bomb; sleep 2; echo survived"
    cases: list[tuple[str, Callable[[], Awaitable[tuple[float, float]]]]] = [
        ("retry-after", lambda: retry_after(n)),
        ("vault-timeout", lambda: vault_timeout(n)),
        ("bash-timeout", lambda: bash(n, "sleep 1000")),
        ("bash-bg-group", lambda: bash(n, "(sleep 1000; touch late) & sleep 1000")),
        ("bash-stdout-closed", lambda: bash(n, "exec >/dev/null 2>&1; sleep 1000")),
        (
            "sandbox-wall",
            lambda: sandbox(
                n, ["/bin/sh", "-c", "sleep 1000 & sleep 1000"], ["/bin/sleep", "0.5"], max_wall_seconds=0.5
            ),
        ),
        (
            "fork-bomb",
            lambda: sandbox(1, ["/bin/sh", "-c", bomb], ["/bin/sleep", "2"], max_processes=16, max_wall_seconds=6),
        ),
        ("audit-kill9", lambda: audit_kill9(n)),
    ]
    if SYSTEM_PYTHON:
        spin = ["/bin/sh", "-c", "while :; do :; done"]
        cases.insert(
            6, ("sandbox-cpu", lambda: sandbox(n, spin, [SYSTEM_PYTHON, "-c", BURN_ONE_CPU_SECOND], max_cpu_seconds=1))
        )
    print(f"{'case':<20}{'limited s':>11}{'baseline s':>12}{'ratio':>8}")
    for name, case in cases:
        limited, baseline = await case()
        print(f"{name:<20}{limited:>11.3f}{baseline:>12.3f}{limited / baseline:>7.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
