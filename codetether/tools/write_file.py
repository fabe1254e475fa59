"""write_file: create a file or replace one the agent has read."""

from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .files import write_atomic

NAME = "write_file"
KIND = "edit"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    file_path: Annotated[str, msgspec.Meta(description="Path of the file to write")]
    content: Annotated[str, msgspec.Meta(description="The complete new content")]


def subject(params: Params) -> str:
    return params.file_path


async def run(params: Params, ctx: ToolContext) -> str:
    path = await ctx.path(params.file_path, for_write=True)
    existed = path.exists()
    if existed:
        if path.is_dir():
            raise ToolError(f"{params.file_path} is a directory")
        ctx.ensure_fresh(path)
    write_atomic(path, params.content)
    ctx.saw(path)
    lines = params.content.count("\n") + (0 if params.content.endswith("\n") or not params.content else 1)
    verb = "overwrote" if existed else "created"
    return f"{verb} {ctx.display(path)} ({lines} lines, {len(params.content.encode())} bytes)"
