"""The rows of a transcript: the user's prompt, a block of the answer, a tool call, a note.

A tool call is one line (the one ``describe()`` summary and how it ended) that expands to its
arguments and result; an edit also shows its unified diff. Long results are cut for display only:
the transcript keeps the row light however big the output was (the session keeps all of it).
"""

import json

import urwid

from . import markdown
from .diffs import call_diff, diff_markup

SHOWN_HEAD = 40  # lines of a result shown from the start
SHOWN_TAIL = 10  # and from the end
SHOWN_CHARS = 8_000
LIVE_CHARS = 2_000  # of a running command's output


def shorten(text: str) -> str:
    """``text`` cut for display: its first and last lines, at most SHOWN_CHARS characters."""
    if len(text) > SHOWN_CHARS * 4:
        text = text[: SHOWN_CHARS * 2] + "\n" + text[-SHOWN_CHARS:]
    lines = text.split("\n")
    if len(lines) > SHOWN_HEAD + SHOWN_TAIL:
        hidden = len(lines) - SHOWN_HEAD - SHOWN_TAIL
        lines = [*lines[:SHOWN_HEAD], f"[… {hidden} lines not shown]", *lines[-SHOWN_TAIL:]]
    text = "\n".join(lines)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"\n[… {len(text) - SHOWN_CHARS} chars not shown]"


def user_row(text: str) -> urwid.Widget:
    return urwid.Padding(urwid.Text([("user", "> "), ("body", text)]), left=0, right=1)


def block_row(markup: markdown.Markup) -> urwid.Text:
    return urwid.Text(markup)


def note_row(text: str, style: str = "dim") -> urwid.Widget:
    return urwid.Text((style, text))


class ToolRow(urwid.WidgetWrap):
    """One tool call: a summary line that expands to arguments, live output and the result."""

    _selectable = True
    MARKS = {"running": ("tool", "⋯"), "ok": ("tool_ok", "✓"), "error": ("tool_err", "✗")}

    def __init__(self, call_id: str, name: str, arguments: str, summary: str, *, indent: int = 0) -> None:
        self.call_id = call_id
        self.name = name
        self.arguments = arguments
        self.summary = summary
        self.indent = indent
        self.state = "running"
        self.duration_ms = 0.0
        self.output = ""
        self.live = ""
        self.expanded = False
        self.selected = False
        self.diff = call_diff(name, arguments)
        self._pile = urwid.Pile([])
        super().__init__(urwid.Padding(self._pile, left=indent))
        self.refresh()

    def keypress(self, size, key: str) -> str | None:
        if key in ("enter", " "):
            self.toggle()
            return None
        return key

    def mouse_event(self, size, event, button, col, row, focus) -> bool:
        if event == "mouse press" and button == 1 and row == 0:
            self.toggle()
            return True
        return False

    def toggle(self) -> None:
        self.expanded = not self.expanded
        self.refresh()

    def add_output(self, text: str) -> None:
        self.live = (self.live + text)[-LIVE_CHARS:]
        if self.expanded:
            self.refresh()

    def finish(self, output: str, is_error: bool, duration_ms: float) -> None:
        self.state = "error" if is_error else "ok"
        self.output = output
        self.duration_ms = duration_ms
        self.live = ""
        self.refresh()

    def refresh(self) -> None:
        style, mark = self.MARKS[self.state]
        arrow = "▾" if self.expanded else "▸"
        header: markdown.Markup = [("selected" if self.selected else "tool", f"{arrow} "), (style, mark + " ")]
        header.append(("tool", self.summary))
        if self.state != "running":
            header.append(("dim", f"  {self.duration_ms:.0f} ms"))
        if self.state == "error" and not self.expanded:
            header.append(("tool_err", "  " + " ".join(self.output[:400].split())[:80]))
        parts: list[urwid.Widget] = [urwid.Text(header, wrap="ellipsis")]
        if self.diff and (self.expanded or self.state != "error"):
            parts.append(urwid.Padding(urwid.Text(diff_markup(self.diff)), left=2))
        if self.expanded:
            parts.append(urwid.Padding(urwid.Text([("dim", "arguments\n"), ("code", _pretty(self.arguments))]), left=2))
            if self.live:
                parts.append(urwid.Padding(urwid.Text(("code", self.live)), left=2))
            if self.state != "running":
                style = "tool_err" if self.state == "error" else "code"
                parts.append(urwid.Padding(urwid.Text([("dim", "result\n"), (style, shorten(self.output))]), left=2))
        self._pile.contents[:] = [(part, ("pack", None)) for part in parts]


def _pretty(arguments: str) -> str:
    try:
        return shorten(json.dumps(json.loads(arguments), indent=2, ensure_ascii=False))
    except ValueError:
        return shorten(arguments)
