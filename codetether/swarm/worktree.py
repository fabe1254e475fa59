"""Git worktrees for sub-agents that change files, and merging their work back.

Layout: an integration branch starts at the user's HEAD; each subtask works on its own branch (in
its own worktree) started from the integration branch's tip; after each stage the subtask branches
are merged into it. At the end the integration branch's changes are applied to the user's working
tree (three-way). A conflict is reported with the files involved and the branch that keeps the work.
"""

import asyncio
import shutil
from pathlib import Path

from ..security.git import GitError, run_git

__all__ = ["GitError", "Worktrees", "git", "is_git_repo"]

_IDENTITY = ["-c", "user.name=CodeTether", "-c", "user.email=codetether@localhost"]


async def git(*args: str, cwd: Path, stdin: bytes | None = None, check: bool = True) -> tuple[int, str, str]:
    """A hardened git command (``security.git``): the repository's config cannot make it run a program."""
    return await run_git(*args, cwd=cwd, stdin=stdin, check=check)


async def is_git_repo(path: Path) -> bool:
    code, out, _ = await git("rev-parse", "--is-inside-work-tree", cwd=path, check=False)
    return code == 0 and out.strip() == "true"


class Worktrees:
    """Worktrees of one swarm (or Ralph run) under ``root``.

    ``branch`` names the integration branch (default ``codetether/swarm-{id}``); ``integration`` is an
    existing checkout of it to merge into (Ralph merges into the user's own tree, on the PRD's branch)
    instead of a worktree made for it; ``prefix`` starts each subtask's branch name.
    """

    def __init__(
        self,
        repo: Path,
        swarm_id: str,
        root: Path,
        *,
        branch: str | None = None,
        integration: Path | None = None,
        prefix: str | None = None,
    ) -> None:
        self.repo = repo
        self.root = root
        self.branch = branch or f"codetether/swarm-{swarm_id}"
        self.integration = integration or root / "_integration"
        self._shared_integration = integration is not None
        self.prefix = prefix if prefix is not None else f"{self.branch}-"
        self.base = ""
        self.paths: dict[str, Path] = {}
        # Concurrent git commands on one repository fight over its lock files (config, refs, index):
        # every command this swarm runs goes through one lock.
        self._lock = asyncio.Lock()

    async def _git(self, *args: str, cwd: Path, stdin: bytes | None = None, check: bool = True):
        async with self._lock:
            return await git(*args, cwd=cwd, stdin=stdin, check=check)

    async def start(self) -> None:
        _, top, _ = await self._git("rev-parse", "--show-toplevel", cwd=self.repo)
        self.repo = Path(top.strip())
        _, head, _ = await self._git("rev-parse", "HEAD", cwd=self.repo)
        self.base = head.strip()
        self.root.mkdir(parents=True, exist_ok=True)
        if not self._shared_integration:
            await self._git("worktree", "add", "-q", "-b", self.branch, str(self.integration), self.base, cwd=self.repo)

    def branch_of(self, name: str) -> str:
        return f"{self.prefix}{name}"

    async def create(self, name: str) -> Path:
        path = self.root / name
        await self._git("worktree", "add", "-q", "-b", self.branch_of(name), str(path), self.branch, cwd=self.repo)
        self.paths[name] = path
        return path

    async def remove(self, name: str, *, keep_branch: bool = False) -> None:
        """Remove one subtask's worktree (and its branch unless ``keep_branch``)."""
        path = self.paths.pop(name, self.root / name)
        await self._git("worktree", "remove", "--force", str(path), cwd=self.repo, check=False)
        if not keep_branch:
            await self._git("branch", "-D", self.branch_of(name), cwd=self.repo, check=False)
        shutil.rmtree(path, ignore_errors=True)

    async def tree(self) -> str:
        """The content id of the integration branch's tip: equal content, equal id (commit times aside)."""
        _, out, _ = await self._git("rev-parse", f"{self.branch}^{{tree}}", cwd=self.repo)
        return out.strip()

    async def commit(self, name: str, message: str) -> str:
        """Commit everything the subtask changed; returns its patch ('' when it changed nothing)."""
        path = self.paths[name]
        await self._git("add", "-A", cwd=path)
        code, _, _ = await self._git("diff", "--cached", "--quiet", cwd=path, check=False)
        if code == 0:
            return ""
        await self._git(*_IDENTITY, "commit", "-q", "-m", message, cwd=path)
        _, patch, _ = await self._git("diff", "--binary", "HEAD~1", "HEAD", cwd=path)
        return patch

    async def apply(self, name: str, patch: str, message: str) -> None:
        """Re-create a cached subtask's changes in its worktree."""
        path = self.paths[name]
        await self._git("apply", "--index", "-", cwd=path, stdin=patch.encode())
        await self._git(*_IDENTITY, "commit", "-q", "-m", message, cwd=path)

    async def merge(self, name: str) -> list[str]:
        """Merge a subtask branch into the integration branch; returns conflicted files ([] on success)."""
        code, _, _ = await self._git(
            *_IDENTITY,
            "merge",
            "--no-ff",
            "--no-edit",
            "-q",
            self.branch_of(name),
            cwd=self.integration,
            check=False,
        )
        if code == 0:
            return []
        _, out, _ = await self._git("diff", "--name-only", "--diff-filter=U", cwd=self.integration, check=False)
        await self._git("merge", "--abort", cwd=self.integration, check=False)
        return out.split() or ["(unknown files)"]

    async def finish(self) -> tuple[bool, list[str]]:
        """Apply everything merged to the user's working tree. (applied, conflicted files)."""
        _, patch, _ = await self._git("diff", "--binary", self.base, self.branch, cwd=self.repo)
        if not patch.strip():
            return True, []
        code, _, _ = await self._git("apply", "-", cwd=self.repo, stdin=patch.encode(), check=False)
        if code == 0:
            return True, []
        code, out, err = await self._git("apply", "--3way", "-", cwd=self.repo, stdin=patch.encode(), check=False)
        if code == 0:
            return True, []
        conflicted = sorted(
            {line.split(": ", 1)[-1] for line in (out + err).splitlines() if "conflict" in line.lower()}
        )
        return False, conflicted or ["(see git status)"]

    async def cleanup(self, keep_branch: bool, keep_subtasks: frozenset[str] = frozenset()) -> None:
        """Remove the worktrees; branches holding work that was not merged are kept."""
        for name, path in list(self.paths.items()):
            await self._git("worktree", "remove", "--force", str(path), cwd=self.repo, check=False)
            if name not in keep_subtasks:
                await self._git("branch", "-D", self.branch_of(name), cwd=self.repo, check=False)
        if not self._shared_integration:
            await self._git("worktree", "remove", "--force", str(self.integration), cwd=self.repo, check=False)
        if not keep_branch and not self._shared_integration:
            await self._git("branch", "-D", self.branch, cwd=self.repo, check=False)
        await self._git("worktree", "prune", cwd=self.repo, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
