"""The prompt box: multi-line editing, history on ↑/↓, and pastes inserted in one piece.

A paste arrives as thousands of keystrokes; inserting them one by one is quadratic and an Enter
inside the paste would send it. :meth:`InputBox.filter_keys` (the main loop's input filter) turns a
bracketed paste, or any run of plain characters in one read, into one insertion, Enter into newline.
"""

from collections.abc import Callable

import urwid

HISTORY_LIMIT = 500
_PASTED = {"enter": "\n", "ctrl j": "\n", "tab": "    "}


class InputBox(urwid.WidgetWrap):
    def __init__(self, on_submit: Callable[[str], None], *, newline_keys: tuple[str, ...] = ("ctrl j",)) -> None:
        self.edit = urwid.Edit(("user", "> "), multiline=True)
        self.on_submit = on_submit
        self.newline_keys = newline_keys
        self.history: list[str] = []
        self._browse: int | None = None  # index into history while browsing
        self._draft = ""
        self._pasting = False
        super().__init__(urwid.AttrMap(self.edit, "input"))

    @property
    def text(self) -> str:
        return self.edit.edit_text

    def set_text(self, text: str) -> None:
        self.edit.set_edit_text(text)
        self.edit.set_edit_pos(len(text))

    def insert(self, text: str) -> None:
        self.edit.insert_text(text)

    def keypress(self, size, key: str) -> str | None:
        if key == "enter":
            text = self.text
            if not text.strip():
                return None
            self.remember(text)
            self.set_text("")
            self.on_submit(text)
            return None
        if key in self.newline_keys:
            self.insert("\n")
            return None
        if key == "up" and "\n" not in self.text[: self.edit.edit_pos]:
            return self._recall(-1)
        if key == "down" and "\n" not in self.text[self.edit.edit_pos :]:
            return self._recall(1)
        return self.edit.keypress((size[0],), key)

    def remember(self, text: str) -> None:
        if not self.history or self.history[-1] != text:
            self.history.append(text)
            del self.history[:-HISTORY_LIMIT]
        self._browse = None

    def _recall(self, step: int) -> str | None:
        if not self.history:
            return None
        if self._browse is None:
            if step > 0:
                return None
            self._draft = self.text
            self._browse = len(self.history)
        self._browse += step
        if self._browse >= len(self.history):
            self._browse = None
            self.set_text(self._draft)
        else:
            self._browse = max(0, self._browse)
            self.set_text(self.history[self._browse])
        return None

    def filter_keys(self, keys: list[str]) -> list[str]:
        """Coalesce pasted or fast-typed characters into single insertions; return the keys left to dispatch."""
        out: list[str] = []
        run: list[str] = []

        def flush() -> None:
            if run:
                self.insert("".join(run))
                run.clear()

        for key in keys:
            if key == "begin paste":
                self._pasting = True
                continue
            if key == "end paste":
                self._pasting = False
                flush()
                continue
            if self._pasting:
                if isinstance(key, str):
                    run.append(_PASTED.get(key, key if len(key) == 1 else ""))
                continue
            if isinstance(key, str) and len(key) == 1 and not out and (run or len(keys) > 1):
                run.append(key)
                continue
            flush()
            out.append(key)
        flush()  # a paste that spans reads is inserted piece by piece; its Enters stay newlines
        return out
