"""edit: replace one exact (or whitespace-tolerant) snippet in a file the agent has read."""

from typing import Annotated

import msgspec

from .context import ToolContext
from .files import read_text, write_atomic
from .matching import replace

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
    content = read_text(path, params.file_path)
    ctx.ensure_fresh(path)
    display = ctx.display(path)
    updated, count, how = replace(
        content, params.old_string, params.new_string, replace_all=params.replace_all, display=display
    )
    write_atomic(path, updated)
    ctx.saw(path)
    note = "" if how == "exact" else f" ({how} match)"
    return f"edited {display}: {count} replacement{'s' if count > 1 else ''}{note}"
