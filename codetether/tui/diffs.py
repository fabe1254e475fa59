"""The change an edit-type tool call makes, as a unified diff, from the call's own arguments.

The edit tools' results say what was done, not the diff, so the chat and the permission dialog
build it from what the model sent: old/new strings for edit and multiedit, the whole content for
write_file (shown as added lines), the patch itself for apply_patch.
"""

import difflib
import json

MAX_LINES = 60


def _unified(path: str, before: str, after: str) -> list[str]:
    return list(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=2
        )
    )


def call_diff(name: str, arguments: str, limit: int = MAX_LINES) -> str | None:
    """The call's diff, cut to ``limit`` lines; None when ``name`` edits no files or its arguments are unreadable."""
    try:
        args = json.loads(arguments) if arguments else {}
    except ValueError:
        return None
    if not isinstance(args, dict):
        return None
    lines: list[str] = []
    if name == "edit":
        lines = _unified(
            str(args.get("file_path", "")), str(args.get("old_string", "")), str(args.get("new_string", ""))
        )
    elif name == "multiedit" and isinstance(args.get("edits"), list):
        for edit in args["edits"]:
            if isinstance(edit, dict):
                path = str(edit.get("file_path", ""))
                lines += _unified(path, str(edit.get("old_string", "")), str(edit.get("new_string", "")))
    elif name == "write_file":
        lines = _unified(str(args.get("file_path", "")), "", str(args.get("content", "")))
    elif name == "apply_patch":
        lines = str(args.get("patch", "")).splitlines(keepends=True)
    else:
        return None
    if len(lines) > limit:
        lines = [*lines[:limit], f"[… {len(lines) - limit} more lines]\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")


def diff_markup(diff: str) -> list[tuple[str, str]]:
    """Colour a unified diff line by line."""
    out: list[tuple[str, str]] = []
    for i, line in enumerate(diff.split("\n")):
        style = "body"
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "diff_add"
        elif line.startswith("-"):
            style = "diff_del"
        elif line.startswith("@@"):
            style = "diff_hunk"
        out.append((style, ("\n" if i else "") + line))
    return out
