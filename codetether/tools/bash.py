"""bash: run a non-interactive shell command in its own process group, output streamed and capped."""

import asyncio
import contextlib
import os
import signal
from typing import Annotated

import msgspec

from ..events import ToolOutput
from .base import ToolError, ToolResult
from .context import ToolContext

NAME = "bash"
KIND = "execute"
KEEP_HEAD = 20_000
KEEP_TAIL = 8_000
KILL_GRACE = 2.0


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
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


async def _run_sandboxed(params: Params, ctx: ToolContext, cwd, settings) -> ToolResult:
    from ..security.sandbox import SandboxError, policy_from
    from ..security.sandbox import run as run_in_sandbox

    policy = policy_from(settings, max_wall_seconds=params.timeout)
    call_id = ctx.call_id

    def stream(text: str) -> None:
        if ctx.emit:
            ctx.emit(ToolOutput(call_id=call_id, text=text))

    try:
        result = await run_in_sandbox(["/bin/bash", "-c", params.command], policy, cwd, on_output=stream)
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
    env = {**os.environ, "PAGER": "cat", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "CODETETHER_AGENT": "1"}
    proc = await asyncio.create_subprocess_exec(
        "/bin/bash",
        "-c",
        params.command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # own process group: kill reaches grandchildren
    )
    output = _Capped()
    call_id = ctx.call_id

    async def pump() -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(8192):
            output.add(chunk)
            if ctx.emit:
                ctx.emit(ToolOutput(call_id=call_id, text=chunk.decode("utf-8", "replace")))

    timed_out = False

    async def finish() -> None:
        await pump()
        await proc.wait()  # under the same deadline: a command that closes stdout and keeps running

    reader = asyncio.ensure_future(finish())
    try:
        await asyncio.wait_for(asyncio.shield(reader), params.timeout)
    except TimeoutError:
        timed_out = True
        _kill_group(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), KILL_GRACE)
        except TimeoutError:
            _kill_group(proc.pid, signal.SIGKILL)
            await proc.wait()
        reader.cancel()
    except asyncio.CancelledError:
        _kill_group(proc.pid, signal.SIGKILL)  # the user interrupted: leave nothing running
        await proc.wait()
        reader.cancel()
        raise
    text = output.text().rstrip("\n")
    if timed_out:
        text += f"\n[timed out after {params.timeout:g}s; the command and its process group were killed]"
    else:
        text += f"\n[exit code {proc.returncode}]"
    return ToolResult(output=text.lstrip("\n"), metadata={"exit_code": proc.returncode, "timed_out": timed_out})
