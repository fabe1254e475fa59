"""Files whose change gives the agent more than the user granted: git's internals and CodeTether's own config.

A write to ``.git/config`` or ``.git/hooks/*`` runs code the next time the user runs git
(``core.fsmonitor``, ``core.sshCommand``, a hook, a filter); a write to ``codetether.toml``,
``.codetether/`` or the user's config and data directories changes the agent's own permissions,
providers, plugins or trust records. So the file tools ask the user, showing the diff, before any
such write in every mode but ``full`` — even where a permission rule or ``approve`` mode allows
edits — and a run that cannot ask refuses. Only the file tools are guarded: what a shell command
will write cannot be known reliably before it runs (``bash`` asks by its own rules).
"""

import difflib
from pathlib import Path

from ..paths import PROJECT_FILE, config_dir, data_dir, user_config_file
from ..security.permissions import AccessMode, PermissionRequest
from .base import ToolError
from .context import ToolContext
from .files import shown

MAX_DIFF_LINES = 400


def protected_reason(path: Path, workspace: Path) -> str | None:
    """Why writing ``path`` (resolved) needs explicit approval, or None when it does not.

    The user's config and data directories count only outside ``workspace``: a swarm sub-agent
    works in a git worktree kept under the data directory, and that tree is its project.
    """
    parts = [part.lower() for part in path.parts]
    if ".git" in parts:  # also a worktree's or submodule's ``.git`` file, which points git elsewhere
        return "it is inside .git (git config and hooks run code the next time git runs)"
    if ".codetether" in parts or path.name.lower() == PROJECT_FILE:
        return "it is CodeTether's project configuration"
    if path == workspace or workspace in path.parents:
        return None
    if path == user_config_file().resolve():
        return "it is CodeTether's user configuration"
    for directory, what in ((config_dir(), "configuration"), (data_dir(), "data (trust records, audit log)")):
        root = directory.resolve()
        if path == root or root in path.parents:
            return f"it is in CodeTether's user {what}"
    return None


def unified_diff(display: str, before: str | None, after: str | None) -> str:
    """A unified diff of one file (``None``: the file does not exist on that side), cut to a readable size."""
    old = shown(before or "").splitlines(keepends=True)
    new = shown(after or "").splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(
            old,
            new,
            "/dev/null" if before is None else f"a/{display}",
            "/dev/null" if after is None else f"b/{display}",
        )
    )
    lines = [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"[... {len(lines) - MAX_DIFF_LINES} more diff lines ...]\n"]
    return "".join(lines)


async def approve_writes(ctx: ToolContext, tool: str, changes: list[tuple[Path, str | None, str | None]]) -> str:
    """Ask the user to approve the protected writes among ``changes`` (path, before, after).

    Returns their diff ("" when none is protected), for the tool's result; raises ToolError when the
    user declines or nobody can be asked. ``full`` mode writes without asking, still showing the diff.
    """
    root = ctx.workspace.root
    guarded = [(p, reason, before, after) for p, before, after in changes if (reason := protected_reason(p, root))]
    if not guarded:
        return ""
    names = ", ".join(ctx.display(p) for p, *_ in guarded)
    diff = "".join(unified_diff(ctx.display(p), before, after) for p, _, before, after in guarded)
    if ctx.gate.policy.mode == AccessMode.FULL:
        return diff
    why = "; ".join(f"{ctx.display(p)}: {reason}" for p, reason, *_ in guarded)
    if ctx.gate.ask is None:
        raise ToolError(
            f"{names} is protected ({why}); writing it needs the user's explicit approval, "
            "and this run is non-interactive so nobody can give it",
            "leave it unchanged and tell the user the change you propose (with the diff); they can make it "
            "themselves or rerun interactively or with --access-mode full",
        )
    answer = await ctx.gate.ask(PermissionRequest(tool, names, "edit", diff=diff))
    if answer not in ("yes", "always"):  # "always" approves this write only: protected files ask every time
        raise ToolError(f"the user declined {tool} on protected {names}", "leave it unchanged, or ask the user why")
    return diff
