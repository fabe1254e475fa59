"""edit: replace one exact (or whitespace-tolerant) snippet in a file the agent has read."""

import asyncio
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .files import load_text, shown_error, write_atomic
from .matching import replace
from .protected import approve_writes

NAME = "edit"
KIND = "edit"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    file_path: Annotated[str, msgspec.Meta(description="Path of the file to edit")]
    old_string: Annotated[str, msgspec.Meta(description="Exact text to replace (include enough lines to be unique)")]
    new_string: Annotated[str, msgspec.Meta(description="Replacement text")]
    replace_all: Annotated[bool, msgspec.Meta(description="Replace every occurrence instead of exactly one")] = False


def subject(params: Params) -> str:
    return params.file_path


async def run(params: Params, ctx: ToolContext) -> str:
    path = await ctx.path(params.file_path, for_write=True)
    file = await asyncio.to_thread(load_text, path, params.file_path)
    ctx.ensure_fresh(path, file.stamp)
    display = ctx.display(path)
    try:
        updated, count, how = replace(
            file.text,
            file.incoming(params.old_string),
            file.incoming(params.new_string),
            replace_all=params.replace_all,
            display=display,
        )
    except ToolError as exc:
        raise shown_error(exc, file, params.old_string) from exc
    diff = await approve_writes(ctx, NAME, [(path, file.text, updated)])
    ctx.saw(path, await asyncio.to_thread(write_atomic, path, file.encode(updated)))
    note = "" if how == "exact" else f" ({how} match)"
    result = f"edited {display}: {count} replacement{'s' if count > 1 else ''}{note}"
    return f"{result}\n{diff}" if diff else result
