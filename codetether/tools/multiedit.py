"""multiedit: several edits across files, applied all together or not at all."""

import asyncio
from pathlib import Path
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .edit import Params as EditParams
from .files import TextFile, load_text, shown_error, write_atomic
from .matching import replace
from .protected import approve_writes

NAME = "multiedit"
KIND = "edit"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    edits: Annotated[list[EditParams], msgspec.Meta(min_length=1, description="Edits, applied in order")]


def subject(params: Params) -> list[str]:
    return sorted({e.file_path for e in params.edits})


async def run(params: Params, ctx: ToolContext) -> str:
    originals: dict[Path, TextFile] = {}
    staged: dict[Path, str] = {}
    for number, edit in enumerate(params.edits, start=1):
        path = await ctx.path(edit.file_path, for_write=True)
        if path not in staged:
            originals[path] = file = await asyncio.to_thread(load_text, path, edit.file_path)
            ctx.ensure_fresh(path, file.stamp)
            staged[path] = file.text
        file = originals[path]
        try:
            staged[path], _, _ = replace(
                staged[path],
                file.incoming(edit.old_string),
                file.incoming(edit.new_string),
                replace_all=edit.replace_all,
                display=ctx.display(path),
            )
        except ToolError as exc:
            failed = shown_error(exc, file, edit.old_string)
            raise ToolError(
                f"edit {number} of {len(params.edits)} failed, nothing was written: {failed.message}", failed.hint
            ) from exc
    diff = await approve_writes(ctx, NAME, [(path, originals[path].text, text) for path, text in staged.items()])
    written: list[Path] = []
    failing = None
    try:
        for failing, text in staged.items():
            ctx.saw(failing, await asyncio.to_thread(write_atomic, failing, originals[failing].encode(text)))
            written.append(failing)
    except OSError as exc:
        for path in written:  # put back what was already written: all or nothing
            original = originals[path]
            ctx.saw(path, await asyncio.to_thread(write_atomic, path, original.encode(original.text)))
        raise ToolError(f"writing {ctx.display(failing)} failed ({exc}); every file was restored") from exc
    files = ", ".join(ctx.display(p) for p in written)
    result = f"applied {len(params.edits)} edits to {len(written)} file{'s' if len(written) > 1 else ''}: {files}"
    return f"{result}\n{diff}" if diff else result
