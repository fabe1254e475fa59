"""The bus inspector: live bus traffic, newest at the bottom, narrowed by a topic pattern.

The pattern uses the bus's own syntax (``*`` one segment, ``#`` any rest, e.g. ``agent.#``); it is
applied to what the inspector has seen, so changing it re-filters the history kept (the last 2,000).
"""

import fnmatch
from collections import deque

import msgspec
import urwid

KEEP = 2_000


def matches(pattern: str, topic: str) -> bool:
    """Bus pattern semantics: segments split on '.', '*' is one segment, '#' matches the rest (or nothing)."""
    if not pattern or pattern == "#":
        return True
    want, have = pattern.split("."), topic.split(".")
    for i, part in enumerate(want):
        if part == "#":
            return True
        if i >= len(have) or not (part == "*" or fnmatch.fnmatchcase(have[i], part)):
            return False
    return len(want) == len(have)


def _cut(value, limit: int = 200):
    """Long strings cut before encoding: a 100 MB tool result must not be serialised to show 300 characters."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, dict):
        return {key: _cut(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut(item, limit) for item in value[:20]]
    return value


def describe(envelope) -> str:
    message = envelope.message
    fields = {name: _cut(getattr(message, name)) for name in message.__struct_fields__}
    data = msgspec.to_builtins({"type": message.__struct_config__.tag, **fields})
    kind = data.pop("type", type(envelope.message).__name__) if isinstance(data, dict) else "?"
    body = msgspec.json.encode(data).decode() if data else ""
    return f"{envelope.topic}  {kind}  {body[:300]}"


class Inspector(urwid.WidgetWrap):
    def __init__(self) -> None:
        self.seen: deque = deque(maxlen=KEEP)
        self.pattern = urwid.Edit(("accent", "pattern: "), "#")
        self.walker = urwid.SimpleFocusListWalker([])
        self.count = urwid.Text("", align="right")
        head = urwid.Columns([self.pattern, (20, self.count)])
        self.pile = urwid.Pile(
            [
                ("pack", urwid.Text(("heading", "Bus inspector"))),
                ("pack", head),
                ("pack", urwid.Divider("─")),
                urwid.ListBox(self.walker),
            ]
        )
        self.pile.focus_position = 1
        self.dirty = False
        super().__init__(self.pile)

    def handle(self, envelope) -> None:
        self.seen.append(envelope)
        if matches(self.pattern.edit_text.strip(), envelope.topic):
            self._add(envelope)
        self.dirty = True

    def _add(self, envelope) -> None:
        self.walker.append(urwid.Text(("body", describe(envelope)), wrap="ellipsis"))
        if len(self.walker) > KEEP:
            del self.walker[0]
        self.walker.set_focus(len(self.walker) - 1)
        self.count.set_text(("dim", f"{len(self.walker)} shown"))

    def refilter(self) -> None:
        pattern = self.pattern.edit_text.strip()
        self.walker.clear()
        for envelope in self.seen:
            if matches(pattern, envelope.topic):
                self.walker.append(urwid.Text(("body", describe(envelope)), wrap="ellipsis"))
        if self.walker:
            self.walker.set_focus(len(self.walker) - 1)
        self.count.set_text(("dim", f"{len(self.walker)} shown"))

    def keypress(self, size, key: str) -> str | None:
        if key in ("up", "down", "page up", "page down"):
            listbox = self.pile.contents[3][0]
            return listbox.keypress((size[0], max(1, size[1] - 3)), key)
        before = self.pattern.edit_text
        result = self.pattern.keypress((size[0] - 20,), key)
        if self.pattern.edit_text != before:
            self.refilter()
        return result
