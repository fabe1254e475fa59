"""What a tool may see and touch during one session: workspace, permissions, file-read times, todos."""

import os
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..security.permissions import PermissionPolicy, PermissionRequest
from .base import ToolError

current_call_id: ContextVar[str] = ContextVar("current_call_id", default="")
Asker = Callable[[PermissionRequest], Awaitable[str]]  # returns "yes", "no" or "always"
Emitter = Callable[[Any], None]


@dataclass
class ToolContext:
    workspace: Path
    permissions: PermissionPolicy
    cwd: Path | None = None
    ask: Asker | None = None  # None: non-interactive, "ask" means "deny"
    emit: Emitter | None = None  # progress events (bash output) for the UI and the bus
    read_times: dict[Path, int] = field(default_factory=dict)  # path -> mtime_ns when the agent last saw it
    todos: list[Any] = field(default_factory=list)
    plan_mode: bool = False
    settings: Any = None  # the effective Config, for tools with their own settings (websearch)
    sub_agent: Callable[[str, str], Awaitable[str]] | None = None  # the `task` tool's runner
    question: Callable[[str, list[str]], Awaitable[str]] | None = None  # the `question` tool's prompt
    runner: Any = None  # the ToolRunner serving this context (the `batch` tool calls back into it)
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # e.g. language servers
    lsp_clients: dict[str, Any] = field(default_factory=dict)  # server name -> running LSPClient
    bus: Any = None  # a BusHandle when the agent runs inside a swarm (the swarm_share tool)
    audit: Any = None  # an AuditLog: every tool execution is recorded there
    actor: str = "agent"  # who the audit log names for these tool calls

    def __post_init__(self) -> None:
        self.workspace = self.workspace.resolve()
        self.cwd = (self.cwd or self.workspace).resolve()

    async def aclose(self) -> None:
        """Stop what the tools started for this session (language servers)."""
        while self.cleanups:
            await self.cleanups.pop()()

    @property
    def call_id(self) -> str:
        """The id of the tool call being served (per asyncio task, so parallel calls never mix it up)."""
        return current_call_id.get()

    @property
    def interactive(self) -> bool:
        return self.ask is not None

    async def check(self, request: PermissionRequest) -> None:
        """Raise ToolError unless ``request`` is allowed (asking the user when the policy says ask)."""
        decision = self.permissions.decide(request)
        if decision == "allow":
            return
        if decision == "ask" and self.ask is not None:
            answer = await self.ask(request)
            if answer == "always":
                self.permissions.remember(request)
                return
            if answer == "yes":
                return
            raise ToolError(f"the user declined {request.tool} on {request.subject}", "do something else or ask why")
        why = "a permission rule denies it" if decision == "deny" else "this run is non-interactive and cannot ask"
        raise ToolError(
            f"permission denied: {request.tool} on {request.subject} ({why})",
            "rerun with --access-mode approve/full, or add a [permissions] rule allowing it",
        )

    async def path(self, raw: str, *, for_write: bool = False) -> Path:
        """Resolve a path the model gave; outside the workspace needs an `external_directory` rule."""
        if not raw:
            raise ToolError("no path given")
        candidate = Path(os.path.expanduser(raw))
        resolved = (candidate if candidate.is_absolute() else self.cwd / candidate).resolve()  # type: ignore[operator]
        if resolved != self.workspace and self.workspace not in resolved.parents:
            await self.check(PermissionRequest("external_directory", str(resolved), "external_directory"))
        return resolved

    def rule_path(self, raw: str) -> str:
        """A path as permission rules see it: workspace-relative (posix) inside it, absolute outside."""
        candidate = Path(os.path.expanduser(raw))
        resolved = (candidate if candidate.is_absolute() else self.cwd / candidate).resolve()  # type: ignore[operator]
        try:
            return resolved.relative_to(self.workspace).as_posix()
        except ValueError:
            return str(resolved)

    def display(self, path: Path) -> str:
        """A path as the user thinks of it: relative to the workspace when inside it."""
        try:
            return str(path.relative_to(self.workspace))
        except ValueError:
            return str(path)

    def saw(self, path: Path) -> None:
        """Record that the agent has the current content of ``path`` (after a read or its own write)."""
        try:
            self.read_times[path] = path.stat().st_mtime_ns
        except FileNotFoundError:
            self.read_times.pop(path, None)

    def ensure_fresh(self, path: Path) -> None:
        """Refuse to edit a file the agent never read, or that changed on disk since it did."""
        seen = self.read_times.get(path)
        if seen is None:
            raise ToolError(f"{self.display(path)} has not been read in this session", "read_file it first, then edit")
        if path.stat().st_mtime_ns != seen:
            raise ToolError(
                f"{self.display(path)} changed on disk since it was last read",
                "read_file it again to see the current content, then edit",
            )
