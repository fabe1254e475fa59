"""Runs one hook command: JSON on stdin, capped stdout/stderr back, a hard timeout.

A hook is the user's own program, so it can hang, crash, flood its output or fork. None of that may
reach the agent: the command gets its own process group, which is killed when the time is up and
again once the command is done (what it left in the background goes with it, as with the bash
tool), and output past :data:`MAX_OUTPUT` bytes is read and dropped so a flood cannot fill memory.
"""

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_OUTPUT = 1024 * 1024
REAP_GRACE = 5.0  # seconds to collect a killed command; a child that left the group may hold a pipe


@dataclass(frozen=True)
class Completed:
    """How one hook command ended. ``exit_code`` is None when it never started or was killed."""

    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str = ""  # why it could not start
    pid: int | None = None


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _feed(stream: asyncio.StreamWriter, payload: bytes) -> None:
    # A hook that ignores its input and exits closes the pipe under us: that is its right.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stream.write(payload)
        await stream.drain()
        stream.close()
        await stream.wait_closed()


async def _read_capped(stream: asyncio.StreamReader) -> bytes:
    kept = bytearray()
    while chunk := await stream.read(65536):
        if len(kept) < MAX_OUTPUT:
            kept += chunk[: MAX_OUTPUT - len(kept)]
    return bytes(kept)


async def run_command(
    argv: Sequence[str], payload: bytes, *, cwd: str, env: Mapping[str, str], timeout: float
) -> Completed:
    """Run ``argv`` with ``payload`` on stdin for at most ``timeout`` seconds; never raises but for cancellation."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=dict(env),
            start_new_session=True,  # its own process group: the kill reaches whatever it started
        )
    except OSError as exc:
        return Completed(exit_code=None, error=f"{type(exc).__name__}: {exc.strerror or exc}")
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        async with asyncio.timeout(timeout):
            _, out, err = await asyncio.gather(
                _feed(proc.stdin, payload), _read_capped(proc.stdout), _read_capped(proc.stderr)
            )
            code = await proc.wait()
    except TimeoutError:
        _kill_group(proc.pid)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), REAP_GRACE)
        return Completed(exit_code=None, timed_out=True, pid=proc.pid)
    except asyncio.CancelledError:
        _kill_group(proc.pid)
        raise
    _kill_group(proc.pid)
    return Completed(
        exit_code=code,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        pid=proc.pid,
    )
