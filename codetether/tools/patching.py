"""Parsing and applying patches: unified diffs and the ``*** Begin Patch`` format.

Both parse to the same plan — a list of file changes, each a list of hunks — which is applied in
memory first; nothing is written unless every hunk of every file applies.
"""

import re
from dataclasses import dataclass, field

from .base import ToolError


@dataclass
class Hunk:
    old: list[str]
    new: list[str]
    hint: int = 0  # 0-based line where the hunk is expected, when the patch says

    def add(self, line: str) -> bool:
        """Take one ' ' / '-' / '+' line (an empty line is empty context); False for anything else."""
        tag, body = (line[:1], line[1:]) if line else (" ", "")
        if tag not in " -+":
            return False
        if tag != "+":
            self.old.append(body)
        if tag != "-":
            self.new.append(body)
        return True


@dataclass
class FileChange:
    path: str
    action: str  # add | delete | update
    hunks: list[Hunk] = field(default_factory=list)
    content: str = ""  # for add
    move_to: str | None = None


_UNIFIED_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse(patch: str) -> list[FileChange]:
    text = patch.replace("\r\n", "\n")
    if "*** Begin Patch" in text:
        return _parse_begin_patch(text)
    if re.search(r"^--- ", text, re.M) and re.search(r"^\+\+\+ ", text, re.M):
        return _parse_unified(text)
    raise ToolError(
        "the patch is neither a unified diff nor a *** Begin Patch block",
        "send a unified diff (---/+++/@@ lines) or *** Begin Patch ... *** End Patch",
    )


def _strip_prefix(path: str) -> str:
    path = path.split("\t")[0].strip()
    return path[2:] if path[:2] in ("a/", "b/") else path


def _parse_unified(text: str) -> list[FileChange]:
    lines = text.split("\n")
    changes: list[FileChange] = []
    i = 0

    def file_header(at: int) -> bool:
        # A removed line "-- comment" also starts with "--- "; a real header is followed by "+++ ".
        return lines[at].startswith("--- ") and at + 1 < len(lines) and lines[at + 1].startswith("+++ ")

    while i < len(lines):
        if not file_header(i):
            i += 1
            continue
        old_path, new_path = _strip_prefix(lines[i][4:]), _strip_prefix(lines[i + 1][4:])
        i += 2
        if old_path == "/dev/null":
            change = FileChange(new_path, "add")
        elif new_path == "/dev/null":
            change = FileChange(old_path, "delete")
        else:
            change = FileChange(old_path, "update", move_to=new_path if new_path != old_path else None)
        added: list[str] = []
        while i < len(lines) and not file_header(i):
            match = _UNIFIED_HUNK.match(lines[i])
            if not match:
                i += 1
                continue
            hunk = Hunk([], [], max(int(match.group(1)) - 1, 0))
            i += 1
            while i < len(lines) and not lines[i].startswith("@@") and not file_header(i):
                line = lines[i]
                if line.startswith("\\"):  # "\ No newline at end of file"
                    i += 1
                    continue
                if not hunk.add(line):
                    break
                if line.startswith("+"):
                    added.append(line[1:])
                i += 1
            _trim_trailing_blank_context(hunk)
            change.hunks.append(hunk)
        if change.action == "add":
            change.content = "\n".join(added) + ("\n" if added else "")
        changes.append(change)
    if not changes:
        raise ToolError("the unified diff names no files")
    return changes


def _trim_trailing_blank_context(hunk: Hunk) -> None:
    # A patch that ended with the file's last newline leaves one empty context line: not part of the hunk.
    while hunk.old and hunk.new and hunk.old[-1] == "" and hunk.new[-1] == "":
        hunk.old.pop()
        hunk.new.pop()


def _parse_begin_patch(text: str) -> list[FileChange]:
    body = text.split("*** Begin Patch", 1)[1]
    if "*** End Patch" not in body:
        raise ToolError("the patch has no *** End Patch line", "end the block with *** End Patch")
    body = body.split("*** End Patch", 1)[0]
    changes: list[FileChange] = []
    current: FileChange | None = None
    hunk: Hunk | None = None
    for line in body.split("\n"):
        if line.startswith("*** Add File: "):
            current = FileChange(line[len("*** Add File: ") :].strip(), "add")
            changes.append(current)
            hunk = None
        elif line.startswith("*** Delete File: "):
            current = FileChange(line[len("*** Delete File: ") :].strip(), "delete")
            changes.append(current)
            hunk = None
        elif line.startswith("*** Update File: "):
            current = FileChange(line[len("*** Update File: ") :].strip(), "update")
            changes.append(current)
            hunk = None
        elif line.startswith("*** Move to: ") and current is not None:
            current.move_to = line[len("*** Move to: ") :].strip()
        elif line.startswith("*** End of File"):
            continue
        elif current is None:
            if line.strip():
                raise ToolError(f"unexpected line before any file header: {line!r}")
        elif current.action == "add":
            if line.startswith("+"):
                current.content += line[1:] + "\n"
            elif line.strip():
                raise ToolError(f"lines of an added file must start with '+': {line!r}")
        elif current.action == "update":
            if line.startswith("@@"):
                hunk = Hunk([], [])
                current.hunks.append(hunk)
                continue
            if hunk is None:
                hunk = Hunk([], [])
                current.hunks.append(hunk)
            if not hunk.add(line):
                raise ToolError(f"lines in an update hunk must start with ' ', '-' or '+': {line!r}")
    for change in changes:
        for h in change.hunks:
            _trim_trailing_blank_context(h)
        change.hunks = [h for h in change.hunks if h.old or h.new]
    if not changes:
        raise ToolError("the patch changes no files")
    return changes


def _find(lines: list[str], old: list[str], start: int, hint: int) -> int:
    """Where ``old`` occurs at or after ``start`` — nearest the hint; exact, then ignoring trailing/all space."""
    if not old:
        return min(max(hint, start), len(lines))
    for normal in (lambda s: s, str.rstrip, str.strip):
        target = [normal(x) for x in old]
        hits = [
            i
            for i in range(start, len(lines) - len(old) + 1)
            if all(normal(lines[i + j]) == target[j] for j in range(len(old)))
        ]
        if hits:
            return min(hits, key=lambda i: abs(i - hint))
    return -1


def apply_hunks(content: str, hunks: list[Hunk], display: str) -> str:
    lines = content.split("\n")
    trailing_newline = content.endswith("\n")
    if trailing_newline:
        lines.pop()
    position = 0
    for number, hunk in enumerate(hunks, start=1):
        at = _find(lines, hunk.old, position, hunk.hint)
        if at < 0:
            preview = "\n".join(hunk.old[:6])
            raise ToolError(
                f"hunk {number} of {len(hunks)} does not apply to {display}; these lines were not found:\n{preview}",
                "read the file again and regenerate the patch against its current content",
            )
        lines[at : at + len(hunk.old)] = hunk.new
        position = at + len(hunk.new)
    return "\n".join(lines) + ("\n" if trailing_newline or not lines else "")
