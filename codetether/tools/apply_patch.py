"""apply_patch: a multi-file patch (unified diff or *** Begin Patch), applied all or nothing."""

from pathlib import Path
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .files import read_text, write_atomic
from .patching import apply_hunks, parse

NAME = "apply_patch"
KIND = "edit"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    patch: Annotated[str, msgspec.Meta(description="The patch text")]


def subject(params: Params) -> list[str]:
    changes = parse(params.patch)
    return sorted({c.path for c in changes} | {c.move_to for c in changes if c.move_to})


async def run(params: Params, ctx: ToolContext) -> str:
    changes = parse(params.patch)
    writes: dict[Path, str | None] = {}  # None: delete
    originals: dict[Path, str | None] = {}
    summary: list[str] = []
    for change in changes:
        path = await ctx.path(change.path, for_write=True)
        display = ctx.display(path)
        if change.action == "add":
            if path in writes:
                raise ToolError(f"the patch adds {display} twice")
            if path.exists():
                raise ToolError(f"cannot add {display}: it already exists", "use an update instead")
            originals[path], writes[path] = None, change.content
            summary.append(f"A {display}")
            continue
        content = read_text(path, display)
        ctx.ensure_fresh(path)
        originals[path] = content
        if change.action == "delete":
            writes[path] = None
            summary.append(f"D {display}")
            continue
        if path in writes and writes[path] is None:
            raise ToolError(f"the patch changes {display} after deleting or moving it")
        updated = apply_hunks(writes.get(path, content), change.hunks, display)
        if change.move_to:
            target = await ctx.path(change.move_to, for_write=True)
            if target.exists():
                raise ToolError(f"cannot move {display} to {change.move_to}: the target exists")
            originals.setdefault(target, None)
            writes[path], writes[target] = None, updated
            summary.append(f"R {display} -> {ctx.display(target)}")
        else:
            writes[path] = updated
            summary.append(f"M {display}")
    done: list[Path] = []
    try:
        for path, text in writes.items():
            if text is None:
                path.unlink()
            else:
                write_atomic(path, text)
            done.append(path)
    except OSError as exc:
        for path in done:  # all or nothing: restore what was already changed
            original = originals.get(path)
            if original is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, original)
        raise ToolError(f"writing the patch failed ({exc}); every file was restored") from exc
    for path in done:
        ctx.saw(path)
    return "applied the patch:\n" + "\n".join(summary)
