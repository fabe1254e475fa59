"""bash: run a non-interactive shell command in its own process group, output streamed and capped.

The command's process group ends with the call: what it left running in the background is killed
when bash exits, and everything dies with the agent (``security.lifeline``). ``setsid`` detaches on
purpose. The command sees the user's environment without secrets (``security.toolenv``).
"""

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from typing import Annotated

import msgspec

from ..events import ToolOutput
from ..security.lifeline import Lifeline, guarded
from ..security.toolenv import pass_env_of, passed_through, tool_environment
from .base import ToolError, ToolResult
from .context import ToolContext

NAME = "bash"
KIND = "execute"
KEEP_HEAD = 20_000
KEEP_TAIL = 8_000
KILL_GRACE = 2.0
DRAIN_GRACE = 2.0  # after the group is killed, only a detached process can still hold the output open


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    command: Annotated[str, msgspec.Meta(description="The command line, run by bash -c")]
    timeout: Annotated[
        float, msgspec.Meta(gt=0, le=3600, description="Seconds before the command and its children are killed")
    ] = 120
    workdir: Annotated[str, msgspec.Meta(description="Directory to run in (default: the workspace)")] = ""


def subject(params: Params) -> str:
    return params.command


class _Capped:
    """Keeps the head and the tail of the output; the middle of a huge log is rarely what matters."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = KEEP_HEAD - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > KEEP_TAIL:
                self.dropped += len(self.tail) - KEEP_TAIL
                del self.tail[: len(self.tail) - KEEP_TAIL]

    def text(self) -> str:
        middle = f"\n[... {self.dropped} bytes of output omitted ...]\n" if self.dropped else ""
        return self.head.decode("utf-8", "replace") + middle + self.tail.decode("utf-8", "replace")


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _environment(ctx: ToolContext) -> dict[str, str]:
    env = tool_environment(ctx.services.environment, pass_env_of(ctx.settings))
    env.update(PAGER="cat", GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0", CODETETHER_AGENT="1")
    return env


async def _run_sandboxed(params: Params, ctx: ToolContext, cwd, settings) -> ToolResult:
    from ..security.sandbox import SandboxError, policy_from
    from ..security.sandbox import run as run_in_sandbox

    policy = policy_from(settings, max_wall_seconds=params.timeout)
    call_id = ctx.call_id

    def stream(text: str) -> None:
        if ctx.emit:
            ctx.emit(ToolOutput(call_id=call_id, text=text))

    listed = passed_through(ctx.services.environment, pass_env_of(ctx.settings))
    try:
        result = await run_in_sandbox(
            ["/bin/bash", "-c", params.command], policy, cwd, env=listed or None, on_output=stream
        )
    except SandboxError as exc:
        raise ToolError(f"the sandbox refused to run the command: {exc}") from exc
    text = (result.stdout + result.stderr).rstrip("\n")
    if result.limit == "wall":
        text += f"\n[timed out after {params.timeout:g}s; the command and its process group were killed]"
    elif result.limit:
        text += f"\n[stopped by the sandbox's {result.limit} limit]"
    else:
        code = result.exit_code if result.exit_code is not None else -(result.signal or 0)
        text += f"\n[exit code {code}]"
    return ToolResult(
        output=text.lstrip("\n"),
        metadata={"exit_code": result.exit_code, "timed_out": result.limit == "wall", "sandbox": True},
    )


async def run(params: Params, ctx: ToolContext) -> ToolResult:
    cwd = await ctx.path(params.workdir) if params.workdir else ctx.cwd
    if not cwd.is_dir():
        raise ToolError(f"workdir {params.workdir} is not a directory")
    sandbox = getattr(ctx.settings, "sandbox", None)
    if sandbox is not None and sandbox.bash:
        return await _run_sandboxed(params, ctx, cwd, sandbox)
    lifeline = Lifeline()
    # The output pipe is ours, not asyncio's: its Process.wait() would also wait for every holder of
    # the pipe to close it, and a background child holds it for as long as it runs.
    out_read, out_write = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            *guarded(["/bin/bash", "-c", params.command]),
            cwd=cwd,
            env=_environment(ctx),
            stdin=lifeline.child_end,  # the guard's; the command itself reads /dev/null
            stdout=out_write,
            stderr=out_write,
            start_new_session=True,  # own process group: kill reaches grandchildren
        )
    except BaseException:
        lifeline.cut()
        os.close(out_read)
        raise
    finally:
        lifeline.started()
        os.close(out_write)
    output = _Capped()
    call_id = ctx.call_id

    def on_chunk(chunk: bytes) -> None:
        output.add(chunk)
        if ctx.emit:
            ctx.emit(ToolOutput(call_id=call_id, text=chunk.decode("utf-8", "replace")))

    def end_group() -> None:
        lifeline.cut()
        _kill_group(proc.pid, signal.SIGKILL)

    eof = _read_all(out_read, on_chunk)
    timed_out = held_open = False
    try:
        try:
            await asyncio.wait_for(proc.wait(), params.timeout)
        except TimeoutError:
            timed_out = True
            _kill_group(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), KILL_GRACE)
            except TimeoutError:
                _kill_group(proc.pid, signal.SIGKILL)
                await proc.wait()
        except asyncio.CancelledError:
            end_group()  # the user interrupted: leave nothing running
            await proc.wait()
            raise
        end_group()  # bash is done: what it left in the background goes with it
        try:
            await asyncio.wait_for(asyncio.shield(eof), DRAIN_GRACE)
        except TimeoutError:
            held_open = True
    finally:
        eof.cancel()
    text = output.text().rstrip("\n")
    if timed_out:
        text += f"\n[timed out after {params.timeout:g}s; the command and its process group were killed]"
    else:
        text += f"\n[exit code {proc.returncode}]"
    if held_open:
        text += "\n[a detached process still holds the output open; redirect a detached command's output to a file]"
    return ToolResult(output=text.lstrip("\n"), metadata={"exit_code": proc.returncode, "timed_out": timed_out})


def _read_all(fd: int, on_chunk: Callable[[bytes], None]) -> "asyncio.Future[None]":
    """Read ``fd`` as data arrives; the future ends at end of file. Cancelling it stops reading and closes ``fd``."""
    loop = asyncio.get_running_loop()
    eof: asyncio.Future[None] = loop.create_future()
    os.set_blocking(fd, False)

    def readable() -> None:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            on_chunk(chunk)
        elif not eof.done():
            eof.set_result(None)

    def close(_: object) -> None:
        loop.remove_reader(fd)
        os.close(fd)

    loop.add_reader(fd, readable)
    eof.add_done_callback(close)
    return eof
