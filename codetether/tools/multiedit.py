"""multiedit: several edits across files, applied all together or not at all."""

from pathlib import Path
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .edit import Params as EditParams
from .files import read_text, write_atomic
from .matching import replace

NAME = "multiedit"
KIND = "edit"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    edits: Annotated[list[EditParams], msgspec.Meta(min_length=1, description="Edits, applied in order")]


def subject(params: Params) -> list[str]:
    return sorted({e.file_path for e in params.edits})


async def run(params: Params, ctx: ToolContext) -> str:
    originals: dict[Path, str] = {}
    staged: dict[Path, str] = {}
    for number, edit in enumerate(params.edits, start=1):
        path = await ctx.path(edit.file_path, for_write=True)
        if path not in staged:
            originals[path] = read_text(path, edit.file_path)
            ctx.ensure_fresh(path)
            staged[path] = originals[path]
        try:
            staged[path], _, _ = replace(
                staged[path], edit.old_string, edit.new_string, replace_all=edit.replace_all, display=ctx.display(path)
            )
        except ToolError as exc:
            raise ToolError(
                f"edit {number} of {len(params.edits)} failed, nothing was written: {exc.message}", exc.hint
            ) from exc
    written: list[Path] = []
    failing = None
    try:
        for failing, text in staged.items():
            write_atomic(failing, text)
            written.append(failing)
    except OSError as exc:
        for path in written:  # put back what was already written: all or nothing
            write_atomic(path, originals[path])
        raise ToolError(f"writing {ctx.display(failing)} failed ({exc}); every file was restored") from exc
    for path in written:
        ctx.saw(path)
    files = ", ".join(ctx.display(p) for p in written)
    return f"applied {len(params.edits)} edits to {len(written)} file{'s' if len(written) > 1 else ''}: {files}"
