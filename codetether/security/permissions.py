"""Who may do what: access modes, per-tool glob rules (last match wins), workspace confinement.

Modes: ``ask`` asks before anything that changes the machine; ``approve`` applies edits but asks
before shell commands; ``full`` (``--yolo``) allows everything a rule does not deny. A run that
cannot ask (no terminal) treats "ask" as "deny" and tells the model why, so it never hangs.
"""

import fnmatch
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Literal

import msgspec

from .command_rules import Action, judge


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


class PermissionPolicy:
    """Decides allow/deny/ask for a request; remembers "always" answers for the session."""

    def __init__(self, mode: AccessMode, rules: Mapping[str, Mapping[str, Action]] | None = None) -> None:
        self.mode = mode
        self.rules = {tool: list(patterns.items()) for tool, patterns in (rules or {}).items()}
        self._always: set[tuple[str, str]] = set()

    def _patterns(self, kind: str, tool: str) -> list[tuple[str, Action]]:
        """The rules for a kind, then for the tool's name (e.g. `external_directory`, `bash`), in order."""
        return [*self.rules.get(kind, []), *(self.rules.get(tool, []) if tool != kind else [])]

    def _last_match(self, subject: str, kind: str, tool: str) -> Action | None:
        decision: Action | None = None
        for pattern, action in self._patterns(kind, tool):
            if fnmatch.fnmatchcase(subject, pattern):
                decision = action
        return decision

    def decide(self, request: PermissionRequest, *, workspace: Path | None = None, cwd: Path | None = None) -> Action:
        """allow/deny/ask for ``request``; ``workspace`` and ``cwd`` tell where a command's redirections land."""
        if request.kind == "execute":
            decision = self._command(request, workspace, cwd)
        else:
            decision = self._last_match(request.subject, request.kind, request.tool)
        if decision == "allow" or decision == "deny":
            return decision
        if (request.tool, request.subject) in self._always or (request.tool, "*") in self._always:
            return "allow"  # the user saw this exact subject (or chose the whole tool) and said "always"
        return decision or _MODE_DEFAULTS[self.mode][request.kind]

    def _command(self, request: PermissionRequest, workspace: Path | None, cwd: Path | None) -> Action | None:
        """Rules see the commands a line runs and the files it writes, not its spelling (see command_rules)."""
        patterns = self._patterns(request.kind, request.tool)
        edit_rules = self.rules.get("edit", [])
        if not patterns and not edit_rules:
            return None  # nothing to match: no need to parse

        def edit_verdict(path: str) -> Action:  # a redirection into the workspace edits that file
            return self._last_match(path, "edit", "edit") or _MODE_DEFAULTS[self.mode]["edit"]

        strict = any(action == "deny" for _, action in [*patterns, *edit_rules])
        return judge(request.subject, patterns, workspace=workspace, cwd=cwd, edit_verdict=edit_verdict, strict=strict)

    def remember(self, request: PermissionRequest, *, whole_tool: bool = False) -> None:
        """The user answered "always": allow this (or every) subject for this tool from now on."""
        self._always.add((request.tool, "*" if whole_tool else request.subject))
