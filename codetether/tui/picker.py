"""A filterable list: type to narrow, ↑/↓ to move, Enter to choose, Esc to close.

The session picker, the model selector and the question prompt are all this widget with different
rows; filtering matches every typed word anywhere in a row, case-insensitively.
"""

from collections.abc import Callable, Sequence

import urwid


class Picker(urwid.WidgetWrap):
    def __init__(
        self,
        title: str,
        rows: Sequence[tuple[str, object]],
        on_choose: Callable[[object], None],
        *,
        on_cancel: Callable[[], None] | None = None,
        filterable: bool = True,
        free_text: bool = False,
        empty: str = "nothing to show",
    ) -> None:
        """``rows``: (label, value). ``free_text``: Enter with no match chooses the typed text itself."""
        self.choices = list(rows)
        self.on_choose = on_choose
        self.on_cancel = on_cancel
        self.filterable = filterable
        self.free_text = free_text
        self.empty = empty
        self.query = urwid.Edit(("accent", "filter: " if not free_text else "answer: "))
        self.walker = urwid.SimpleFocusListWalker([])
        self.title = urwid.Text(("heading", title))
        body = [("pack", self.title)]
        if filterable or free_text:
            body.append(("pack", self.query))
        body += [("pack", urwid.Divider("─")), urwid.ListBox(self.walker)]
        self.pile = urwid.Pile(body)
        super().__init__(urwid.AttrMap(urwid.LineBox(self.pile), "dialog"))
        self.refilter()

    def shown(self) -> list[tuple[str, object]]:
        words = self.query.edit_text.lower().split() if self.filterable else []
        return [row for row in self.choices if all(word in row[0].lower() for word in words)]

    def refilter(self) -> None:
        items = [urwid.AttrMap(urwid.SelectableIcon(label, 0), "dialog", "selected") for label, _ in self.shown()]
        self.walker[:] = items or [urwid.Text(("dim", self.empty))]
        if items:
            self.walker.set_focus(0)

    def set_rows(self, rows: Sequence[tuple[str, object]]) -> None:
        self.choices = list(rows)
        self.refilter()

    def keypress(self, size, key: str) -> str | None:
        if key == "esc":
            if self.on_cancel is not None:
                self.on_cancel()
            return None
        shown = self.shown()
        if key == "enter":
            _, position = self.walker.get_focus()
            if shown and position is not None and position < len(shown):
                self.on_choose(shown[position][1])
            elif self.free_text and self.query.edit_text.strip():
                self.on_choose(self.query.edit_text.strip())
            return None
        if key in ("up", "down", "page up", "page down", "home", "end"):
            self.pile.focus_position = len(self.pile.contents) - 1
            return super().keypress(size, key)
        if self.filterable or self.free_text:
            before = self.query.edit_text
            result = self.query.keypress((size[0] - 2,), key)
            if self.query.edit_text != before:
                self.refilter()
            return result
        return key
