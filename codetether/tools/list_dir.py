"""list_dir: a directory tree, honouring .gitignore and extra ignore globs."""

import fnmatch
from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .ripgrep import list_files

NAME = "list_dir"
KIND = "read"
LIMIT = 300


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    path: Annotated[str, msgspec.Meta(description="Directory to list (default: the workspace)")] = ""
    ignore: Annotated[list[str], msgspec.Meta(description="Glob patterns of names to leave out")] = []


async def run(params: Params, ctx: ToolContext) -> str:
    root = await ctx.path(params.path) if params.path else ctx.cwd
    if not root.is_dir():
        raise ToolError(f"{params.path or root} is not a directory", "use read_file for files")
    files = [
        f
        for f in await list_files(root)
        if not any(fnmatch.fnmatch(part, pattern) for part in f.relative_to(root).parts for pattern in params.ignore)
    ]
    tree: dict = {}
    for file in sorted(files)[:LIMIT]:
        node = tree
        for part in file.relative_to(root).parts[:-1]:
            node = node.setdefault(part + "/", {})
        node[file.name] = None
    lines = [f"{ctx.display(root)}/"]
    _render(tree, "  ", lines)
    if len(files) > LIMIT:
        lines.append(f"({len(files) - LIMIT} more files not shown; list a subdirectory)")
    if not files:
        lines.append("  (empty, or every file is ignored)")
    return "\n".join(lines)


def _render(node: dict, indent: str, lines: list[str]) -> None:
    for name in sorted(node, key=lambda n: (not n.endswith("/"), n)):
        lines.append(indent + name)
        if node[name]:
            _render(node[name], indent + "  ", lines)
