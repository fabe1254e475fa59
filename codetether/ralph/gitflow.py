"""The repository side of a run: refuse an unsafe start, pick the PRD's branch, clear a crashed run's leftovers.

The user's working tree is touched only by merges of passed stories (and Ralph's own PRD and
progress files), so a run refuses to start on uncommitted changes: a merge into them could mix
Ralph's work with the user's. A run killed mid-story (kill -9) leaves a worktree and a story branch
behind; :func:`clear_leftovers` removes them (their story had not passed, so nothing passed is lost)
and prunes git's worktree records, so no stale lock blocks the next run.
"""

import shutil
from pathlib import Path

from ..errors import CodetetherError
from ..swarm.worktree import git, is_git_repo

_IDENTITY = ["-c", "user.name=CodeTether", "-c", "user.email=codetether@localhost"]


async def toplevel(cwd: Path) -> Path:
    if not await is_git_repo(cwd):
        raise CodetetherError(
            f"{cwd} is not in a git repository",
            "Ralph works story by story in git worktrees: run `git init` and commit your project first",
        )
    _, top, _ = await git("rev-parse", "--show-toplevel", cwd=cwd)
    code, _, _ = await git("rev-parse", "--verify", "-q", "HEAD", cwd=cwd, check=False)
    if code != 0:
        raise CodetetherError("the repository has no commit yet", "commit your project first (git commit)")
    return Path(top.strip()).resolve()


def _relative(repo: Path, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(repo).as_posix()
    except ValueError:
        return None


async def refuse_dirty(repo: Path, own_files: list[Path]) -> None:
    """Refuse when the working tree has changes other than Ralph's own files, or a merge is under way."""
    _, gitdir, _ = await git("rev-parse", "--git-dir", cwd=repo)
    gitdir_path = (repo / gitdir.strip()).resolve()
    for marker in ("MERGE_HEAD", "rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD"):
        if (gitdir_path / marker).exists():
            raise CodetetherError(
                "a merge, rebase or cherry-pick is under way in the repository",
                "finish or abort it (git merge --abort / git rebase --abort), then run Ralph again",
            )
    own = {r for r in (_relative(repo, p) for p in own_files) if r}
    _, out, _ = await git("status", "--porcelain=v1", "-z", "--untracked-files=all", cwd=repo)
    changed: list[str] = []
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        status, name = entry[:2], entry[3:]
        if status[0] in "RC":  # a rename carries its source path in the next field
            i += 1
        if name not in own:
            changed.append(name)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise CodetetherError(
            f"the working tree has uncommitted changes ({shown})",
            "commit or stash them first: Ralph merges the stories it finishes into this tree",
        )


async def current_branch(repo: Path) -> str:
    code, out, _ = await git("symbolic-ref", "-q", "--short", "HEAD", cwd=repo, check=False)
    if code != 0:
        raise CodetetherError(
            "HEAD is detached", "check out a branch, or set branch_name in the PRD for Ralph to create one"
        )
    return out.strip()


async def use_branch(repo: Path, branch: str) -> str:
    """Check out the PRD's ``branch`` (created at HEAD if missing); '' keeps the current branch. Returns it."""
    current = await current_branch(repo) if not branch else ""
    if not branch or branch == current:
        return current or branch
    code, _, _ = await git("check-ref-format", "--branch", branch, cwd=repo, check=False)
    if code != 0:
        raise CodetetherError(f"{branch!r} is not a valid branch name", "fix branch_name in the PRD")
    exists, _, _ = await git("rev-parse", "--verify", "-q", f"refs/heads/{branch}", cwd=repo, check=False)
    code, head, _ = await git("symbolic-ref", "-q", "--short", "HEAD", cwd=repo, check=False)
    if code == 0 and head.strip() == branch:
        return branch
    args = ["checkout", "-q", branch] if exists == 0 else ["checkout", "-q", "-b", branch]
    code, _, err = await git(*args, cwd=repo, check=False)
    if code != 0:
        raise CodetetherError(f"could not check out branch {branch}: {err.strip()}", "check `git status`")
    return branch


async def clear_leftovers(repo: Path, root: Path, prefix: str) -> list[str]:
    """Remove worktrees under ``root`` and branches named ``prefix*`` left by an earlier run; returns them."""
    removed: list[str] = []
    _, listing, _ = await git("worktree", "list", "--porcelain", cwd=repo)
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = Path(line[len("worktree ") :])
            if root in path.parents:
                await git("worktree", "remove", "--force", str(path), cwd=repo, check=False)
                removed.append(str(path))
    shutil.rmtree(root, ignore_errors=True)
    await git("worktree", "prune", cwd=repo, check=False)
    _, branches, _ = await git(
        "for-each-ref", "--format=%(refname:short)", f"refs/heads/{prefix.rstrip('/')}", cwd=repo
    )
    for name in branches.split():
        await git("branch", "-D", name, cwd=repo, check=False)
        removed.append(name)
    return removed


async def commit_files(repo: Path, files: list[Path], message: str) -> bool:
    """Commit Ralph's own files (the PRD, progress.txt) where they are inside the repository and not ignored."""
    paths = []
    for path in files:
        relative = _relative(repo, path)
        if relative is None or not path.exists():
            continue
        ignored, _, _ = await git("check-ignore", "-q", relative, cwd=repo, check=False)
        if ignored != 0:
            paths.append(relative)
    if not paths:
        return False
    await git("add", "--", *paths, cwd=repo)
    code, _, _ = await git("diff", "--cached", "--quiet", "--", *paths, cwd=repo, check=False)
    if code == 0:
        return False
    await git(*_IDENTITY, "commit", "-q", "-m", message, "--", *paths, cwd=repo)
    return True


async def restore_own_files(worktree: Path, repo: Path, files: list[Path]) -> None:
    """Undo an agent's edits to Ralph's own files in its worktree before the story is committed."""
    for path in files:
        relative = _relative(repo, path)
        if relative is None:
            continue
        tracked, _, _ = await git("ls-files", "--error-unmatch", "--", relative, cwd=worktree, check=False)
        if tracked == 0:
            await git("checkout", "-q", "HEAD", "--", relative, cwd=worktree, check=False)
        else:
            (worktree / relative).unlink(missing_ok=True)


async def head(repo: Path, ref: str = "HEAD") -> str:
    _, out, _ = await git("rev-parse", ref, cwd=repo)
    return out.strip()
