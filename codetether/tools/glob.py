"""glob: find files by name pattern, newest first, honouring .gitignore."""

import asyncio
from pathlib import Path
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .ripgrep import list_files

NAME = "glob"
KIND = "read"
LIMIT = 200


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pattern: Annotated[str, msgspec.Meta(description='Glob such as "**/*.py" or "src/**/test_*.ts"')]
    path: Annotated[str, msgspec.Meta(description="Directory to search (default: the workspace)")] = ""


async def run(params: Params, ctx: ToolContext) -> str:
    root = await ctx.path(params.path) if params.path else ctx.cwd
    if not root.is_dir():
        raise ToolError(f"{params.path} is not a directory")
    pattern = params.pattern if "/" in params.pattern or params.pattern.startswith("**") else f"**/{params.pattern}"
    files = await list_files(root, pattern)
    if not files:
        return f"no files match {params.pattern!r} under {ctx.display(root)}"
    files = await asyncio.to_thread(_newest_first, files)
    shown = [ctx.display(p) for p in files[:LIMIT]]
    more = f"\n({len(files) - LIMIT} more; use a narrower pattern)" if len(files) > LIMIT else ""
    return "\n".join(shown) + more


def _newest_first(files: list[Path]) -> list[Path]:
    def age(path: Path) -> tuple[float, str]:
        try:
            return -path.stat().st_mtime, str(path)
        except OSError:  # deleted since it was listed
            return 0.0, str(path)

    return sorted(files, key=age)
