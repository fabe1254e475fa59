"""codesearch: where a symbol is defined and where it is used, from real syntax trees (tree-sitter).

ripgrep narrows the files to those mentioning the name; tree-sitter then tells definitions from
references, so a match in a comment or a string is not reported as a use. Files in languages
without an installed grammar are reported as plain text mentions.
"""

import asyncio
import importlib
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import msgspec

from .base import ToolError
from .context import ToolContext
from .files import read_head
from .ripgrep import rg

NAME = "codesearch"
KIND = "read"
MAX_FILES = 300
MAX_ROWS = 60
MAX_SOURCE = 8 << 20  # bytes of one file looked at: a larger file is generated or data, not code to navigate

# extension -> (grammar module, function returning the language)
GRAMMARS = {
    ".py": ("tree_sitter_python", "language"),
    ".pyi": ("tree_sitter_python", "language"),
    ".js": ("tree_sitter_javascript", "language"),
    ".mjs": ("tree_sitter_javascript", "language"),
    ".cjs": ("tree_sitter_javascript", "language"),
    ".jsx": ("tree_sitter_javascript", "language"),
    ".ts": ("tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tree_sitter_typescript", "language_tsx"),
}

# Node types that define a name, per grammar family; the name is the node's `name` field.
DEFINITIONS = {
    "function_definition",
    "class_definition",  # Python
    "function_declaration",
    "class_declaration",
    "method_definition",
    "generator_function_declaration",
    "interface_declaration",
    "type_alias_declaration",
    "enum_declaration",
    "abstract_class_declaration",
}
IDENTIFIERS = {"identifier", "property_identifier", "type_identifier", "shorthand_property_identifier"}


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    query: Annotated[str, msgspec.Meta(min_length=1, description="Symbol name (function, class, variable)")]
    path: Annotated[str, msgspec.Meta(description="Directory to search (default: the workspace)")] = ""


@cache
def _parser(extension: str) -> Any | None:
    grammar = GRAMMARS.get(extension)
    if grammar is None:
        return None
    try:
        import tree_sitter

        module = importlib.import_module(grammar[0])
    except ImportError:
        return None
    return tree_sitter.Parser(tree_sitter.Language(getattr(module, grammar[1])()))


def _line(source: bytes, row: int) -> str:
    lines = source.splitlines()
    return lines[row].decode("utf-8", "replace").strip()[:160] if row < len(lines) else ""


def analyse(path: Path, source: bytes, name: str) -> tuple[list[int], list[int]] | None:
    """(definition rows, reference rows) for ``name`` in one file, or None when no grammar is available."""
    parser = _parser(path.suffix)
    if parser is None:
        return None
    tree = parser.parse(source)
    definitions: list[int] = []
    references: list[int] = []
    defining: set[int] = set()
    target = name.encode()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in DEFINITIONS or node.type == "variable_declarator":
            ident = node.child_by_field_name("name")
            if ident is not None and ident.text == target:
                definitions.append(node.start_point[0])
                defining.add(ident.id)
        elif node.type in IDENTIFIERS and node.text == target and node.id not in defining:
            references.append(node.start_point[0])
        stack.extend(node.children)
    return sorted(set(definitions)), sorted(set(references) - set(definitions))


async def run(params: Params, ctx: ToolContext) -> str:
    root = await ctx.path(params.path) if params.path else ctx.cwd
    if not root.is_dir():
        raise ToolError(f"{params.path} is not a directory")
    code, out, err = await rg(
        "--files-with-matches", "--fixed-strings", "--word-regexp", "--", params.query, ".", cwd=root
    )
    if code == 2:
        raise ToolError(f"search failed: {err.strip()}")
    files = [root / line.removeprefix("./") for line in out.splitlines() if line][:MAX_FILES]
    definitions, references, mentions = [], [], []
    for path in sorted(files):
        try:
            source, _ = await asyncio.to_thread(read_head, path, ctx.display(path), MAX_SOURCE)
        except ToolError:  # a file swapped for a FIFO or removed since ripgrep listed it
            continue
        found = analyse(path, source, params.query)
        label = ctx.display(path)
        if found is None:
            rows = [i for i, line in enumerate(source.splitlines()) if params.query.encode() in line]
            mentions += [f"{label}:{r + 1}  {_line(source, r)}" for r in rows]
            continue
        definitions += [f"{label}:{r + 1}  {_line(source, r)}" for r in found[0]]
        references += [f"{label}:{r + 1}  {_line(source, r)}" for r in found[1]]
    if not (definitions or references or mentions):
        return f"no symbol named {params.query!r} under {ctx.display(root)}"
    sections = []
    for title, rows in (("definitions", definitions), ("references", references), ("text mentions", mentions)):
        if rows:
            more = f"\n  ({len(rows) - MAX_ROWS} more)" if len(rows) > MAX_ROWS else ""
            sections.append(f"{title} ({len(rows)}):\n" + "\n".join(f"  {r}" for r in rows[:MAX_ROWS]) + more)
    return "\n".join(sections)
