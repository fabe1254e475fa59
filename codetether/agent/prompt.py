"""The system prompt: the prompt file, every AGENTS.md from the repo root down to the cwd, and facts."""

import datetime as dt
import platform
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path

from ..paths import project_root
from ..security.git import UnsafeRepository, run_git_sync


@cache
def prompt_file(name: str) -> str:
    """A prompt shipped as package data (prompts are files, not f-strings; they load from a zipapp too)."""
    return resources.files("codetether.agent").joinpath("prompts", name).read_text("utf-8").strip()


def agents_files(cwd: Path) -> list[Path]:
    """AGENTS.md files from the repository root down to ``cwd``, outermost first."""
    cwd = cwd.resolve()
    root = project_root(cwd)
    chain = [cwd, *cwd.parents]
    dirs = list(reversed(chain[: chain.index(root) + 1])) if root in chain else [cwd]
    return [d / "AGENTS.md" for d in dirs if (d / "AGENTS.md").is_file()]


def git_summary(cwd: Path) -> str:
    """Branch and change count, from a hardened ``git status`` (a repository's config runs nothing)."""
    try:
        proc = run_git_sync("status", "--porcelain=v1", "--branch", "--ignore-submodules=all", cwd=cwd)
    except UnsafeRepository as exc:
        return f"{exc.message} ({exc.hint})"
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    if proc.returncode != 0:
        return "not a git repository"
    lines = proc.stdout.splitlines()
    branch = lines[0].removeprefix("## ") if lines and lines[0].startswith("##") else "unknown"
    changed = [line for line in lines[1:] if line.strip()]
    return f"branch {branch}; {len(changed)} changed or untracked file{'s' if len(changed) != 1 else ''}"


def system_prompt(cwd: Path, *, today: dt.date | None = None, git: str | None = None) -> str:
    """``git`` may be given when the caller already knows it (a swarm's worktrees all start equal)."""
    parts = [prompt_file("system.md")]
    for path in agents_files(cwd):
        text = path.read_text("utf-8", errors="replace").strip()
        if text:
            parts.append(f"Instructions from {path}:\n{text}")
    facts = [
        f"Working directory: {cwd}",
        f"Git: {git if git is not None else git_summary(cwd)}",
        f"OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"Date: {(today or dt.date.today()).isoformat()}",
    ]
    parts.append("Environment:\n" + "\n".join(f"- {fact}" for fact in facts))
    return "\n\n".join(parts)
