"""ralph: run a PRD with Ralph (``codetether ralph run``) and return the final table.

The run is the CLI in a child process, started in the workspace with the config this process
uses: the same provider settings, run lock, worktrees and progress file as a person's run, and a
crash in a story cannot take this agent down. Its live progress is streamed as tool output.
Cancelling the call kills the run's whole process group; the next run resumes where it stopped.
"""

import asyncio
import contextlib
import os
import signal
import sys
from typing import Annotated

import msgspec

from ..events import ToolOutput
from .base import ToolError
from .context import ToolContext

NAME = "ralph"
KIND = "execute"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    prd: Annotated[str, msgspec.Meta(description="The PRD file (default prd.json)")] = "prd.json"
    max_iterations: Annotated[int, msgspec.Meta(ge=1, le=100, description="Story attempts in this run")] = 10
    parallel: Annotated[int, msgspec.Meta(ge=1, le=32, description="Stories worked on at once")] = 2
    story_timeout: Annotated[float, msgspec.Meta(ge=1, le=7200, description="Seconds per story attempt")] = 300
    max_repairs: Annotated[int, msgspec.Meta(ge=0, le=20, description="Rounds to fix failing checks")] = 2
    model: Annotated[str, msgspec.Meta(description="provider/model for the story agents (default: the config's)")] = ""


def subject(params: Params) -> str:
    return f"ralph run --prd {params.prd}"


def _argv(params: Params, prd: str, mode: str) -> list[str]:
    argv = [sys.executable, "-m", "codetether", "ralph", "run", "--prd", prd, "--access-mode", mode]
    argv += ["--max-iterations", str(params.max_iterations), "--parallel", str(params.parallel)]
    argv += ["--story-timeout", f"{params.story_timeout:g}", "--max-repairs", str(params.max_repairs)]
    return argv + (["--model", params.model] if params.model else [])


async def _check_commands(path, ctx: ToolContext) -> None:
    """Put each command and URL the PRD makes Ralph run before the permission policy, as if the model
    ran them itself: the PRD may be the model's own writing (an edit ``approve`` mode allows silently),
    and approving "ralph run" shows none of them. This call runs alone (an execute tool), so the file
    the child reads is the file checked."""
    from ..errors import CodetetherError
    from ..ralph.actions import requests
    from ..ralph.validate import load

    try:
        prd = await asyncio.to_thread(load, path)
    except CodetetherError as exc:
        raise ToolError(exc.message, exc.hint or "check it with the prd tool (action=validate)") from None
    for request in requests(prd):
        await ctx.check(request)


async def run(params: Params, ctx: ToolContext) -> str:
    path = await ctx.path(params.prd)
    if not path.is_file():
        raise ToolError(f"{params.prd} does not exist", "draft one with the prd tool first")
    await _check_commands(path, ctx)
    mode = str(ctx.gate.policy.mode.value)
    proc = await asyncio.create_subprocess_exec(
        *_argv(params, str(path), mode),
        cwd=ctx.cwd,
        env={**ctx.services.environment, "NO_COLOR": "1"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    call_id = ctx.call_id
    errors: list[str] = []

    async def live() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode("utf-8", "replace")
            errors.append(line)
            ctx.emit(ToolOutput(call_id=call_id, text=line))

    try:
        reader = asyncio.ensure_future(live())
        assert proc.stdout is not None
        table = (await proc.stdout.read()).decode("utf-8", "replace")
        await reader
        code = await proc.wait()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    if code not in (0, 4):
        failure = next((e.strip() for e in reversed(errors) if e.startswith("error:")), "".join(errors[-3:]).strip())
        raise ToolError(f"ralph could not run (exit status {code}): {failure.removeprefix('error: ')}")
    return table.strip()
