"""What a tool sees during one session, in four typed parts.

- :class:`Workspace`: where it works (the root it is confined to, the directory it starts in);
- :class:`PermissionGate`: what it may do (the policy, and who to ask when the policy says ask);
- :class:`~codetether.tools.services.ToolServices`: what the runtime lends it (settings, audit, bus,
  sub-agents, questions, progress events);
- :class:`SessionState`: what the tools of this session remember between calls (todos, plan mode,
  file stamps, language servers).

:class:`ToolContext` holds the four and offers the handful of calls every tool makes (``path``,
``check``, ``display``, ``saw``/``ensure_fresh``, ``emit``).
"""

import asyncio
import os
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..events import RunEvent
from ..paths import user_config_file
from ..security.permissions import PermissionPolicy, PermissionRequest
from .base import ToolError
from .freshness import FileStamps, Stamp
from .services import Services, ToolServices

if TYPE_CHECKING:
    from ..config.schema import Config
    from .lsp_client import LSPClient
    from .runner import ToolRunner
    from .todo import Todo

current_call_id: ContextVar[str] = ContextVar("current_call_id", default="")
Asker = Callable[[PermissionRequest], Awaitable[str]]  # returns "yes", "no" or "always"


class Workspace:
    """The directory tree an agent works in: ``root`` confines it, ``cwd`` is where relative paths start."""

    def __init__(self, root: Path, cwd: Path | None = None) -> None:
        self.root = root.resolve()
        self.cwd = (cwd or root).resolve()

    def resolve(self, raw: str) -> Path:
        """A path the model gave, made absolute (``~`` expanded, symlinks resolved)."""
        candidate = Path(os.path.expanduser(raw))
        return (candidate if candidate.is_absolute() else self.cwd / candidate).resolve()

    def contains(self, path: Path) -> bool:
        return path == self.root or self.root in path.parents

    def rule_path(self, raw: str) -> str:
        """A path as permission rules see it: workspace-relative (posix) inside it, absolute outside."""
        resolved = self.resolve(raw)
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            return str(resolved)

    def display(self, path: Path) -> str:
        """A path as the user thinks of it: relative to the workspace when inside it."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


class PermissionGate:
    """Applies the permission policy, asking the user when it says "ask" and someone can answer."""

    def __init__(self, policy: PermissionPolicy, ask: Asker | None = None) -> None:
        self.policy = policy
        self.ask = ask  # None: non-interactive, "ask" means "deny"

    @property
    def interactive(self) -> bool:
        return self.ask is not None

    async def check(self, request: PermissionRequest, workspace: Workspace | None = None) -> None:
        """Raise ToolError unless ``request`` is allowed (asking the user when the policy says ask).

        ``workspace`` lets a command's rules check where its output redirections land."""
        root, cwd = (workspace.root, workspace.cwd) if workspace is not None else (None, None)
        decision = self.policy.decide(request, workspace=root, cwd=cwd)
        if decision == "allow":
            return
        if decision == "ask" and self.ask is not None:
            answer = await self.ask(request)
            if answer == "always":
                self.policy.remember(request)
                return
            if answer == "yes":
                return
            raise ToolError(f"the user declined {request.tool} on {request.subject}", "do something else or ask why")
        why = "a permission rule denies it" if decision == "deny" else "this run is non-interactive and cannot ask"
        raise ToolError(
            f"permission denied: {request.tool} on {request.subject} ({why})",
            "rerun with --access-mode approve/full, or add a [permissions] rule allowing it",
        )


@dataclass
class SessionState:
    """What the tools of one session remember between calls; tools change it, nothing else does."""

    todos: "list[Todo]" = field(default_factory=list)
    plan_mode: bool = False
    stamps: FileStamps = field(default_factory=FileStamps)  # what the agent last saw of each file
    lsp_clients: "dict[str, LSPClient]" = field(default_factory=dict)  # server command line + root -> client
    lsp_starting: asyncio.Lock = field(default_factory=asyncio.Lock)  # one permission question per server
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # e.g. language servers

    async def aclose(self) -> None:
        """Stop what the tools started for this session (language servers)."""
        while self.cleanups:
            await self.cleanups.pop()()


class ToolContext:
    """The four parts a tool call sees (see the module docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        gate: PermissionGate,
        services: ToolServices | None = None,
        state: SessionState | None = None,
    ) -> None:
        self.workspace = workspace
        self.gate = gate
        self.services: ToolServices = services or Services()
        self.state = state or SessionState()
        self.runner: ToolRunner | None = None  # the runner serving this context binds itself (the `batch` tool)

    @classmethod
    def local(
        cls,
        root: Path,
        policy: PermissionPolicy,
        *,
        cwd: Path | None = None,
        ask: Asker | None = None,
        services: ToolServices | None = None,
    ) -> "ToolContext":
        """A context from plain values (tests, and callers that need no runtime)."""
        return cls(Workspace(root, cwd), PermissionGate(policy, ask), services)

    async def aclose(self) -> None:
        await self.state.aclose()

    # --- what tools call ------------------------------------------------------------------------------
    @property
    def cwd(self) -> Path:
        return self.workspace.cwd

    @property
    def settings(self) -> "Config":
        return self.services.settings

    @property
    def call_id(self) -> str:
        """The id of the tool call being served (per asyncio task, so parallel calls never mix it up)."""
        return current_call_id.get()

    @property
    def interactive(self) -> bool:
        return self.gate.interactive

    def emit(self, event: RunEvent) -> None:
        self.services.emit(event)

    async def check(self, request: PermissionRequest) -> None:
        await self.gate.check(request, self.workspace)

    async def path(self, raw: str, *, for_write: bool = False) -> Path:
        """Resolve a path the model gave; outside the workspace needs an `external_directory` rule."""
        if not raw:
            raise ToolError("no path given")
        resolved = self.workspace.resolve(raw)
        if not self.workspace.contains(resolved):
            request = PermissionRequest("external_directory", str(resolved), "external_directory")
            if self.gate.policy.decide(request) == "deny":  # no access mode allows it: only a rule does
                folder = resolved if resolved.is_dir() else resolved.parent
                raise ToolError(
                    f"permission denied: {resolved} is outside the workspace {self.workspace.root}",
                    f"to allow it, add to {user_config_file()} (or a trusted codetether.toml): "
                    f'[permissions.external_directory] "{folder}/*" = "allow"',
                )
            await self.check(request)
        return resolved

    def rule_path(self, raw: str) -> str:
        return self.workspace.rule_path(raw)

    def display(self, path: Path) -> str:
        return self.workspace.display(path)

    def saw(self, path: Path, stamp: Stamp | None = None) -> None:
        """Record that the agent has the current content of ``path`` (after a read or its own write)."""
        self.state.stamps.saw(path, stamp)

    def ensure_fresh(self, path: Path, current: Stamp | None = None) -> None:
        """Refuse to edit a file the agent never read, or whose content changed on disk since it did."""
        self.state.stamps.ensure_fresh(path, self.display(path), current)
