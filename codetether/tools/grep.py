"""grep: regex search of file contents with ripgrep, honouring .gitignore."""

import asyncio
import stat
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .files import refuse_special
from .ripgrep import rg

NAME = "grep"
KIND = "read"
MAX_MATCH_LINES = 400


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pattern: Annotated[str, msgspec.Meta(description="Regular expression (Rust regex syntax)")]
    path: Annotated[str, msgspec.Meta(description="File or directory to search (default: the workspace)")] = ""
    include: Annotated[str, msgspec.Meta(description='Only files matching this glob, e.g. "*.py"')] = ""
    case_insensitive: Annotated[bool, msgspec.Meta(description="Ignore case")] = False
    context: Annotated[int, msgspec.Meta(ge=0, le=20, description="Lines of context around each match")] = 0


async def run(params: Params, ctx: ToolContext) -> str:
    target = await ctx.path(params.path) if params.path else ctx.cwd
    try:
        mode = (await asyncio.to_thread(target.stat)).st_mode
    except FileNotFoundError:
        raise ToolError(f"{params.path} does not exist") from None
    if not stat.S_ISDIR(mode):  # ripgrep reads a path it is given even when it is a FIFO, and waits on it
        refuse_special(params.path, mode, "searched")
    args = [
        "--with-filename",
        "--line-number",
        "--no-heading",
        "--color",
        "never",
        "--hidden",
        "--max-columns",
        "400",
    ]
    if params.case_insensitive:
        args.append("--ignore-case")
    if params.context:
        args += ["--context", str(params.context)]
    if params.include:
        args += ["--glob", params.include]
    args += ["--glob", "!.git"]  # last: the last matching glob wins, and an include of "**" would let .git back in
    root = target if stat.S_ISDIR(mode) else target.parent
    code, out, err = await rg(
        *args, "--regexp", params.pattern, "--", str(target.relative_to(root) if target != root else "."), cwd=root
    )
    if code == 1:
        return f"no matches for {params.pattern!r} in {ctx.display(target)}"
    if code == 2:
        raise ToolError(
            f"grep failed: {err.strip().splitlines()[-1] if err.strip() else 'rg error'}", "check the regex syntax"
        )
    prefix = ctx.display(root)
    lines = out.splitlines()
    shown = [line if prefix == "." else f"{prefix}/{line.removeprefix('./')}" for line in lines[:MAX_MATCH_LINES]]
    more = (
        f"\n({len(lines) - MAX_MATCH_LINES} more lines; narrow the pattern or path)"
        if len(lines) > MAX_MATCH_LINES
        else ""
    )
    return "\n".join(shown) + more
