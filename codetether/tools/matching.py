"""Finding the text an edit targets: exact, then whitespace-tolerant, else the closest candidate."""

import difflib

from .base import ToolError


def _line_offsets(text: str) -> list[int]:
    offsets, pos = [], 0
    for line in text.splitlines(keepends=True):
        offsets.append(pos)
        pos += len(line)
    offsets.append(pos)
    return offsets


def _tolerant_spans(content: str, old: str) -> list[tuple[int, int]]:
    """Spans of whole lines equal to ``old`` line by line once surrounding whitespace is ignored."""
    lines = content.splitlines(keepends=True)
    wanted = [line.strip() for line in old.strip("\n").splitlines()]
    if not wanted or not any(wanted):
        return []
    offsets = _line_offsets(content)
    spans = []
    for i in range(len(lines) - len(wanted) + 1):
        if all(lines[i + j].strip() == wanted[j] for j in range(len(wanted))):
            end = offsets[i + len(wanted)]
            if lines[i + len(wanted) - 1].endswith("\n") and not old.endswith("\n"):
                end -= 1  # keep the final newline when the model's snippet had none
            if not spans or offsets[i] >= spans[-1][1]:  # overlapping matches would overwrite each other
                spans.append((offsets[i], end))
    return spans


def _closest(content: str, old: str, display: str) -> str:
    lines = content.splitlines()
    size = max(1, len(old.strip("\n").splitlines()))
    best, best_ratio = 0, 0.0
    target = "\n".join(line.strip() for line in old.strip("\n").splitlines())
    for i in range(max(1, len(lines) - size + 1)):
        window = "\n".join(line.strip() for line in lines[i : i + size])
        ratio = difflib.SequenceMatcher(None, window, target, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = i, ratio
    if best_ratio < 0.5:
        return f"nothing in {display} resembles old_string; read the file again"
    snippet = "\n".join(f"{n:6}\t{line}" for n, line in enumerate(lines[best : best + size], start=best + 1))
    return f"the closest text ({best_ratio:.0%} similar, lines {best + 1}-{best + size}) is:\n{snippet}"


def replace(content: str, old: str, new: str, *, replace_all: bool, display: str) -> tuple[str, int, str]:
    """(new content, replacements, how it matched). Raises ToolError with a way forward when it cannot."""
    if old == new:
        raise ToolError("old_string and new_string are identical; nothing to change")
    if not old:
        raise ToolError("old_string is empty", "use write_file to create a file, or give the text to replace")
    count = content.count(old)
    if count == 1 or (count > 1 and replace_all):
        return content.replace(old, new), count, "exact"
    if count > 1:
        lines = [content[:i].count("\n") + 1 for i in _find_all(content, old)]
        raise ToolError(
            f"old_string occurs {count} times in {display} (lines {', '.join(map(str, lines[:10]))})",
            "add surrounding lines to make it unique, or set replace_all=true",
        )
    spans = _tolerant_spans(content, old)
    if len(spans) == 1 or (spans and replace_all):
        for start, end in reversed(spans):
            content = content[:start] + new + content[end:]
        return content, len(spans), "whitespace-tolerant"
    if len(spans) > 1:
        raise ToolError(
            f"old_string matches {len(spans)} places in {display} when whitespace is ignored",
            "add surrounding lines to make it unique, or set replace_all=true",
        )
    raise ToolError(f"old_string was not found in {display}", _closest(content, old, display))


def _find_all(content: str, needle: str) -> list[int]:
    found, start = [], content.find(needle)
    while start != -1:
        found.append(start)
        start = content.find(needle, start + 1)
    return found
