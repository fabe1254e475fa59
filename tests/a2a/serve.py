"""``codetether serve`` as a real subprocess, running the scripted test executor."""

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from .drivers import TOKEN

REPO = Path(__file__).resolve().parents[2]
EXECUTOR = "tests.a2a.executors:ScriptedExecutor"


class ServeProcess:
    """Start with :meth:`start` (returns the served addresses), stop with :meth:`stop` (returns the exit code).

    The environment is the test's own (its private HOME and XDG dirs, so the data dir is per test) plus
    the token, the repository on ``PYTHONPATH`` (for the executor) and ``extra_env``.
    """

    def __init__(
        self,
        workdir: Path,
        *global_options: str,
        extra_env: dict[str, str] | None = None,
        executor: str | None = EXECUTOR,
    ) -> None:
        self.workdir = workdir
        self.global_options = global_options
        self.executor = executor  # None: the default executor, the real agent
        self.env = {
            **os.environ,
            "CODETETHER_AUTH_TOKEN": TOKEN,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.stderr_path = workdir / "serve-stderr.txt"
        self.http_url = ""
        self.grpc_address = ""

    def start(self, timeout: float = 60.0) -> "ServeProcess":
        command = [sys.executable, "-m", "codetether", *self.global_options, "serve"]
        command += ["--executor", self.executor] if self.executor else []
        command += ["--port", "0", "--grpc-port", "0", "--json"]
        with open(self.stderr_path, "ab") as stderr:
            self.proc = subprocess.Popen(
                command, cwd=self.workdir, env=self.env, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL
            )
        line = self._first_line(timeout)
        addresses = json.loads(line)
        self.http_url, self.grpc_address = addresses["http_url"], addresses["grpc_address"]
        return self

    def _first_line(self, timeout: float) -> str:
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buffer = b""
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.kill()
                raise AssertionError(f"codetether serve did not announce its addresses:\n{self.stderr()}")
            if selector.select(min(left, 0.5)):
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk and self.proc.poll() is not None:
                    continue
                buffer += chunk
        selector.close()
        return buffer.split(b"\n", 1)[0].decode()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"codetether serve did not stop on {signal.Signals(sig).name}:\n{self.stderr()}"
            ) from None
        self.proc.stdout.close()
        return code

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()
