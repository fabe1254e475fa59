"""Help (``?``): the keys as bound now (``[ui.keys]`` included) and the slash commands."""

from collections.abc import Mapping

import urwid

from .keys import DESCRIPTIONS, keys_for
from .slash import COMMANDS


def help_view(keymap: Mapping[str, str]) -> urwid.Widget:
    rows: list[urwid.Widget] = [urwid.Text(("heading", "Keys"))]
    for action, text in DESCRIPTIONS.items():
        keys = ", ".join(keys_for(keymap, action)) or "(unbound)"
        rows.append(urwid.Text([("accent", f"  {keys:<18}"), ("body", text)]))
    rows.append(urwid.Text([("accent", f"  {'enter':<18}"), ("body", "send; Tab completes a /command")]))
    rows.append(urwid.Text(("dim", "  Ctrl+M is Enter in most terminals: use F3 or /model for the model selector")))
    rows += [urwid.Divider(), urwid.Text(("heading", "Commands"))]
    for name, text in COMMANDS.items():
        rows.append(urwid.Text([("accent", f"  {name:<12}"), ("body", text)]))
    rows += [urwid.Divider(), urwid.Text(("dim", "Esc closes this help."))]
    return urwid.ListBox(urwid.SimpleFocusListWalker(rows))
