"""Slash commands: the table, Tab completion, and the nearest suggestion for a mistyped one.

The table only names and describes the commands; the app carries them out.
"""

import difflib

COMMANDS: dict[str, str] = {
    "/help": "keys and commands",
    "/new": "start a new session",
    "/sessions": "pick a session to resume",
    "/resume": "resume a session: /resume ID (no ID: the picker)",
    "/model": "choose the model (/model provider/model sets it)",
    "/compact": "summarise the conversation to free context",
    "/undo": "revert the last agent change (git)",
    "/cost": "tokens and cost of this session",
    "/exit": "quit (the session is kept)",
    "/webview": "layout with a sidebar of sessions and agents",
    "/classic": "chat-only layout",
    "/inspector": "live bus traffic with a pattern filter",
    "/swarm": "swarm view (/swarm TASK starts a swarm)",
    "/ralph": "Ralph view (/ralph PRD.json runs Ralph on it)",
    "/refresh": "redraw the screen and reload the config",
    "/view": "cycle the views: chat, swarm, Ralph, inspector",
}


def parse(line: str) -> tuple[str, str]:
    """("/name", "argument text") of a slash command line."""
    head, _, rest = line.strip().partition(" ")
    return head.lower(), rest.strip()


def complete(prefix: str) -> list[str]:
    """Commands that start with ``prefix`` (a line without a space yet)."""
    return sorted(name for name in COMMANDS if name.startswith(prefix.lower()))


def common_prefix(names: list[str]) -> str:
    if not names:
        return ""
    first, last = min(names), max(names)
    i = 0
    while i < len(first) and i < len(last) and first[i] == last[i]:
        i += 1
    return first[:i]


def nearest(name: str) -> str | None:
    """The command ``name`` most likely meant, if one is close enough."""
    found = difflib.get_close_matches(name.lower(), list(COMMANDS), n=1, cutoff=0.5)
    if found:
        return found[0]
    starts = complete(name[:3]) if len(name) >= 3 else []
    return starts[0] if starts else None
