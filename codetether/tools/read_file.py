"""read_file: a text file with line numbers, in pages."""

from typing import Annotated

import msgspec

from .context import ToolContext
from .files import read_text

NAME = "read_file"
KIND = "read"
MAX_LINE = 2000


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    file_path: Annotated[str, msgspec.Meta(description="Path of the file, absolute or relative to the workspace")]
    offset: Annotated[int, msgspec.Meta(ge=1, description="First line to show (1-based)")] = 1
    limit: Annotated[int, msgspec.Meta(ge=1, le=5000, description="Most lines to show")] = 2000


async def run(params: Params, ctx: ToolContext) -> str:
    path = await ctx.path(params.file_path)
    text = read_text(path, params.file_path)
    ctx.saw(path)
    lines = text.splitlines()
    if not lines:
        return f"({ctx.display(path)} is empty)"
    start = params.offset - 1
    if start >= len(lines):
        return f"({ctx.display(path)} has {len(lines)} lines; offset {params.offset} is past the end)"
    window = lines[start : start + params.limit]
    out = []
    for number, line in enumerate(window, start=params.offset):
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE] + f"... [line truncated, {len(line) - MAX_LINE} more characters]"
        out.append(f"{number:6}\t{line}")
    end = start + len(window)
    if end < len(lines):
        out.append(f"\n(showing lines {params.offset}-{end} of {len(lines)}; use offset={end + 1} to read on)")
    return "\n".join(out)
