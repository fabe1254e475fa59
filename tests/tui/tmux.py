"""Driving the real ``codetether`` in a real terminal: a private tmux server per test.

Every call goes through an asyncio subprocess, so the fake LLM server in the test's own event loop
keeps answering while the test waits on the screen. :meth:`Terminal.wait_for` polls
``capture-pane`` until the text shows up or a generous timeout passes (a failure guard, not a delay).
"""

import asyncio
import os
import shlex
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

TIMEOUT = 60.0


def require_tmux() -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (.ci/run installs it: apt-get install -y tmux)")


class Terminal:
    def __init__(self, cwd: Path, width: int = 80, height: int = 24) -> None:
        self.socket = f"ct-{uuid.uuid4().hex[:10]}"
        self.cwd = cwd
        self.width = width
        self.height = height

    async def tmux(self, *args: str, check: bool = True) -> str:
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.socket, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await proc.communicate()
        if check and proc.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {err.decode()}")
        return out.decode()

    async def start(self, *args: str, env: dict[str, str] | None = None) -> None:
        """Run ``codetether ARGS`` in the pane; when it exits the pane shows ``[exit N]`` and stays."""
        environment = {**os.environ, **(env or {})}
        environment.pop("TMUX", None)
        command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "codetether", *args])
        if env and "TERM" in env:  # tmux sets its own TERM in the pane; a test that names one gets it
            command = f"TERM={shlex.quote(env['TERM'])} {command}"
        inner = f'cd {shlex.quote(str(self.cwd))} && {command}; echo "[exit $?]"; sleep 3600'
        env_flags = [flag for name, value in environment.items() for flag in ("-e", f"{name}={value}")]
        await self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            *env_flags,
            "sh",
            "-c",
            inner,
        )

    async def send(self, *keys: str) -> None:
        await self.tmux("send-keys", "-t", "t", *keys)

    async def type(self, text: str) -> None:
        await self.tmux("send-keys", "-t", "t", "-l", text)

    async def paste(self, text: str) -> None:
        """Paste as a terminal does (bracketed when the program asked for it)."""
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.socket, "load-buffer", "-", stdin=asyncio.subprocess.PIPE
        )
        await proc.communicate(text.encode())
        await self.tmux("paste-buffer", "-p", "-d", "-t", "t")

    async def screen(self) -> str:
        return await self.tmux("capture-pane", "-p", "-t", "t")

    async def wait_for(self, want: str | Callable[[str], bool], timeout: float = TIMEOUT) -> str:
        check = want if callable(want) else (lambda screen: want in screen)
        deadline = asyncio.get_running_loop().time() + timeout
        screen = ""
        while asyncio.get_running_loop().time() < deadline:
            screen = await self.screen()
            if check(screen):
                return screen
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {want!r}; the screen was:\n{screen}")

    async def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        await self.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))

    async def close(self) -> None:
        await self.tmux("kill-server", check=False)
