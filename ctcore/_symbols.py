"""Where top-level symbols start, from tree-sitter, for the chunker's code strategy.

Both chunker twins call this one module: tree-sitter is already native code, so there is nothing
to twin. A grammar that is not installed, or a parse with errors (the guess of the language was
wrong, or the file is not valid code), answers ``None`` and the chunker uses its heuristic.
"""

from functools import cache
from importlib import import_module

__all__ = ["guess_language", "language_for", "top_level_starts"]

# language -> (grammar module, function returning the language pointer)
GRAMMARS = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "bash": ("tree_sitter_bash", "language"),
}
EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".sh": "bash",
    ".bash": "bash",
}


def language_for(filename: str) -> str | None:
    """The grammar name for a file name's extension, if we have one."""
    dot = filename.rfind(".")
    return EXTENSIONS.get(filename[dot:].lower()) if dot >= 0 else None


def guess_language(head: bytes) -> str | None:
    """A cautious guess from the first bytes; None sends the chunker to its heuristic (C, Rust, Go...)."""
    first = head.split(b"\n", 1)[0]
    if first.startswith(b"#!"):
        if b"python" in first:
            return "python"
        if b"sh" in first:
            return "bash"
        if b"node" in first:
            return "javascript"
    if b"#include" in head or b"fn main" in head or b"let mut " in head or b"package " in head:
        return None
    python = b"\ndef " in head or head.startswith(b"def ") or b"\nimport " in head or b"\nfrom " in head
    if python and (b"):\n" in head or b"\nclass " in head or b"import " in head):
        return "python"
    if b"function " in head or b"=> " in head or b"require(" in head or b"\nexport " in head:
        return "javascript"
    return None


@cache
def _parser(language: str):
    grammar = GRAMMARS.get(language)
    if grammar is None:
        return None
    try:
        import tree_sitter

        module = import_module(grammar[0])
    except ImportError:
        return None
    return tree_sitter.Parser(tree_sitter.Language(getattr(module, grammar[1])()))


def top_level_starts(data: bytes, language: str) -> list[int] | None:
    """0-based lines where each top-level node begins, a comment run directly above a node joining it."""
    parser = _parser(language)
    if parser is None:
        return None
    root = parser.parse(data).root_node
    if root.has_error:
        return None
    starts: list[int] = []
    pending = -1  # first line of a run of comments right above the next node
    prev_end = -2
    for node in root.children:
        first, last = node.start_point.row, node.end_point.row
        adjacent = first <= prev_end + 1
        if node.type == "comment":
            if pending < 0 or not adjacent:
                if pending >= 0:
                    starts.append(pending)
                pending = first
        else:
            starts.append(pending if pending >= 0 and adjacent else first)
            if pending >= 0 and not adjacent:
                starts.insert(len(starts) - 1, pending)
            pending = -1
        prev_end = last
    if pending >= 0:
        starts.append(pending)
    return sorted(set(starts))
