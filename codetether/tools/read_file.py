"""read_file: a text file with line numbers, in pages."""

import asyncio
from typing import Annotated

import msgspec

from .context import ToolContext
from .files import read_window

NAME = "read_file"
KIND = "read"
MAX_LINE = 2000


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    file_path: Annotated[str, msgspec.Meta(description="Path of the file, absolute or relative to the workspace")]
    offset: Annotated[int, msgspec.Meta(ge=1, description="First line to show (1-based)")] = 1
    limit: Annotated[int, msgspec.Meta(ge=1, le=5000, description="Most lines to show")] = 2000


async def run(params: Params, ctx: ToolContext) -> str:
    path = await ctx.path(params.file_path)
    window = await asyncio.to_thread(read_window, path, params.file_path, params.offset - 1, params.limit, MAX_LINE)
    ctx.saw(path, window.stamp)
    if not window.total:
        return f"({ctx.display(path)} is empty)"
    if params.offset > window.total:
        return f"({ctx.display(path)} has {window.total} lines; offset {params.offset} is past the end)"
    out = [f"{number:6}\t{line}" for number, line in enumerate(window.lines, start=params.offset)]
    end = params.offset - 1 + len(window.lines)
    if end < window.total:
        out.append(f"\n(showing lines {params.offset}-{end} of {window.total}; use offset={end + 1} to read on)")
    return "\n".join(out)
