"""Key bindings: action -> keys, rebindable under ``[ui.keys]``.

Ctrl+M is listed for the model selector as the issue asks, but almost every terminal sends Ctrl+M
as the same byte as Enter (``\\r``), so a program cannot tell them apart; F3 and ``/model`` are the
bindings that always work. The keymap never binds a key that is plain Enter.
"""

from collections.abc import Mapping

from ..errors import CodetetherError

DEFAULTS: dict[str, list[str]] = {
    "model": ["f3"],  # Ctrl+M is Enter on the wire (see the module docstring)
    "layout": ["ctrl b"],
    "swarm": ["ctrl s", "f2"],
    "next_agent": ["tab"],
    "scroll_down": ["meta j"],
    "scroll_up": ["meta k"],
    "page_up": ["page up"],
    "page_down": ["page down"],
    "help": ["?", "f1"],  # ? only while the input is empty; otherwise it is typed
    "back": ["esc"],
    "interrupt": ["ctrl c"],
    "newline": ["ctrl j"],
    "sessions": ["ctrl r"],
    "inspector": ["f5"],
    "ralph": ["f6"],
    "toggle_tool": ["ctrl o"],
}
DESCRIPTIONS: dict[str, str] = {
    "model": "model selector",
    "layout": "classic / webview layout",
    "swarm": "swarm view",
    "next_agent": "next agent (swarm view)",
    "scroll_down": "scroll the transcript down",
    "scroll_up": "scroll the transcript up",
    "page_up": "page up",
    "page_down": "page down",
    "help": "help",
    "back": "back / close",
    "interrupt": "interrupt the step; twice within 2 s quits",
    "newline": "new line in the input",
    "sessions": "session picker",
    "inspector": "bus inspector",
    "ralph": "Ralph view",
    "toggle_tool": "expand / collapse the selected tool call",
}


class KeyConfigError(CodetetherError):
    pass


def keymap(overrides: Mapping[str, str | list[str]]) -> dict[str, str]:
    """key -> action, with ``[ui.keys]`` replacing an action's default keys."""
    bindings = {action: list(keys) for action, keys in DEFAULTS.items()}
    for action, keys in overrides.items():
        if action not in DEFAULTS:
            raise KeyConfigError(
                f"[ui.keys] names an unknown action {action!r}", f"actions: {', '.join(sorted(DEFAULTS))}"
            )
        chosen = [keys] if isinstance(keys, str) else list(keys)
        if any(k.strip().lower() in ("enter", "ctrl m") for k in chosen):
            raise KeyConfigError(
                f"[ui.keys] {action}: Enter (and Ctrl+M, which terminals send as Enter) submits the input",
                "choose another key, e.g. f3",
            )
        bindings[action] = [k.strip() for k in chosen]
    return {key: action for action, keys in bindings.items() for key in keys}


def keys_for(mapping: Mapping[str, str], action: str) -> list[str]:
    return [key for key, bound in mapping.items() if bound == action]
