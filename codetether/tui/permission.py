"""The permission dialog for ask mode: allow once, always for this pattern, or deny — with what is at stake.

It shows the command, or the diff of the change (the request's own, or one built from the tool
call that asked), so nobody approves an edit they have not seen.
"""

from collections.abc import Callable

import urwid

from .diffs import diff_markup

CHOICES = [("Allow once", "yes", "y"), ("Always allow this pattern", "always", "a"), ("Deny", "no", "n")]


class PermissionDialog(urwid.WidgetWrap):
    """``on_answer`` gets "yes", "always" or "no" (Esc denies)."""

    def __init__(self, tool: str, subject: str, kind: str, detail: str, on_answer: Callable[[str], None]) -> None:
        self.on_answer = on_answer
        self.answered = False
        what = {"execute": "run", "edit": "change", "network": "fetch", "external_directory": "reach"}.get(kind, "use")
        header = urwid.Text([("heading", f"Allow {tool} to {what}:\n"), ("bold", subject)])
        body: list[urwid.Widget] = [header]
        if detail:
            markup = diff_markup(detail) if detail.startswith(("---", "@@", "diff ")) else [("code", detail)]
            body.append(urwid.Padding(urwid.Text(markup), left=1))
        buttons = [
            urwid.AttrMap(
                urwid.Button(f"[{key}] {label}", on_press=self._pressed, user_data=value), "dialog", "selected"
            )
            for label, value, key in CHOICES
        ]
        self.choices = urwid.ListBox(urwid.SimpleFocusListWalker(buttons))
        # borders 2, "Allow ..." 1, subject, detail, divider 1, choices 3 (long subjects wrap: a little spare)
        self.lines_wanted = 7 + subject.count("\n") + 1 + (detail.count("\n") + 1 if detail else 0) + len(subject) // 60
        pile = urwid.Pile([("pack", w) for w in body] + [("pack", urwid.Divider("─")), (3, self.choices)])
        super().__init__(urwid.AttrMap(urwid.LineBox(urwid.Filler(pile, valign="top"), title="permission"), "dialog"))

    def _pressed(self, _button: urwid.Button, value: str) -> None:
        self.answer(value)

    def answer(self, value: str) -> None:
        if not self.answered:
            self.answered = True
            self.on_answer(value)

    def keypress(self, size, key: str) -> str | None:
        for _, value, shortcut in CHOICES:
            if key == shortcut:
                self.answer(value)
                return None
        if key == "esc":
            self.answer("no")
            return None
        return super().keypress(size, key)
