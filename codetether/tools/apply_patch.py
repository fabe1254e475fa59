"""apply_patch: a multi-file patch (unified diff or *** Begin Patch), applied all or nothing."""

import asyncio
from pathlib import Path
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .files import TextFile, encode_text, ensure_writable, load_text, write_atomic
from .patching import apply_hunks, parse
from .protected import approve_writes

NAME = "apply_patch"
KIND = "edit"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    patch: Annotated[str, msgspec.Meta(description="The patch text")]


def subject(params: Params) -> list[str]:
    changes = parse(params.patch)
    return sorted({c.path for c in changes} | {c.move_to for c in changes if c.move_to})


def _encode(style: TextFile | None, text: str) -> bytes:
    """A file's new text in the original's encoding and line endings (a new file: as the patch gave it)."""
    return style.encode(text) if style is not None else encode_text(text)


async def run(params: Params, ctx: ToolContext) -> str:
    changes = parse(params.patch)
    writes: dict[Path, str | None] = {}  # None: delete
    originals: dict[Path, TextFile | None] = {}  # None: the file did not exist
    styles: dict[Path, TextFile | None] = {}  # whose line endings a written file keeps
    summary: list[str] = []
    for change in changes:
        path = await ctx.path(change.path, for_write=True)
        display = ctx.display(path)
        if change.action == "add":
            if path in writes:
                raise ToolError(f"the patch adds {display} twice")
            if await asyncio.to_thread(ensure_writable, path, display):
                raise ToolError(f"cannot add {display}: it already exists", "use an update instead")
            originals[path], styles[path], writes[path] = None, None, change.content
            summary.append(f"A {display}")
            continue
        if path not in originals:
            file = await asyncio.to_thread(load_text, path, display)
            ctx.ensure_fresh(path, file.stamp)
            originals[path] = styles[path] = file
        original = originals[path]
        if change.action == "delete":
            writes[path] = None
            summary.append(f"D {display}")
            continue
        if path in writes and writes[path] is None:
            raise ToolError(f"the patch changes {display} after deleting or moving it")
        current = writes.get(path)
        base = current if current is not None else (original.text if original is not None else "")
        updated = apply_hunks(base, change.hunks, display)
        if change.move_to:
            target = await ctx.path(change.move_to, for_write=True)
            if await asyncio.to_thread(ensure_writable, target, change.move_to):
                raise ToolError(f"cannot move {display} to {change.move_to}: the target exists")
            originals.setdefault(target, None)
            styles[target] = styles[path]
            writes[path], writes[target] = None, updated
            summary.append(f"R {display} -> {ctx.display(target)}")
        else:
            writes[path] = updated
            summary.append(f"M {display}")
    before = {path: None if file is None else file.text for path, file in originals.items()}
    diff = await approve_writes(ctx, NAME, [(path, before.get(path), text) for path, text in writes.items()])
    done: list[Path] = []
    try:
        for path, text in writes.items():
            if text is None:
                await asyncio.to_thread(path.unlink)
                ctx.saw(path)
            else:
                ctx.saw(path, await asyncio.to_thread(write_atomic, path, _encode(styles[path], text)))
            done.append(path)
    except OSError as exc:
        for path in done:  # all or nothing: restore what was already changed
            original = originals.get(path)
            if original is None:
                await asyncio.to_thread(path.unlink, missing_ok=True)
            else:
                ctx.saw(path, await asyncio.to_thread(write_atomic, path, original.encode(original.text)))
        raise ToolError(f"writing the patch failed ({exc}); every file was restored") from exc
    result = "applied the patch:\n" + "\n".join(summary)
    return f"{result}\n{diff}" if diff else result
