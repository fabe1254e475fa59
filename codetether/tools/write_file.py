"""write_file: create a file or replace one the agent has read.

Replacing a file keeps its line endings: the model writes LF, and a file whose every line ended in
CRLF gets CRLF back (as Claude Code's Write does for an existing file). A new file is written as sent.
"""

import asyncio
from typing import Annotated

import msgspec

from .context import ToolContext
from .files import encode_text, ensure_writable, load_text, write_atomic
from .protected import approve_writes

NAME = "write_file"
KIND = "edit"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    file_path: Annotated[str, msgspec.Meta(description="Path of the file to write")]
    content: Annotated[str, msgspec.Meta(description="The complete new content")]


def subject(params: Params) -> str:
    return params.file_path


async def run(params: Params, ctx: ToolContext) -> str:
    path = await ctx.path(params.file_path, for_write=True)
    existed = await asyncio.to_thread(ensure_writable, path, params.file_path)
    before = None
    data = encode_text(params.content)
    if existed:
        file = await asyncio.to_thread(load_text, path, params.file_path)
        ctx.ensure_fresh(path, file.stamp)
        before = file.text
        data = file.encode(file.incoming(params.content))
    diff = await approve_writes(ctx, NAME, [(path, before, params.content)])
    ctx.saw(path, await asyncio.to_thread(write_atomic, path, data))
    lines = params.content.count("\n") + (0 if params.content.endswith("\n") or not params.content else 1)
    verb = "overwrote" if existed else "created"
    result = f"{verb} {ctx.display(path)} ({lines} lines, {len(data)} bytes)"
    return f"{result}\n{diff}" if diff else result
