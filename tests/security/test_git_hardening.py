"""CodeTether's own git commands never run a program a repository's config names.

Each test builds a real repository whose ``.git/config`` names a command for every hook point git has
(fsmonitor, hooks, pager, external diff, textconv, clean/smudge filters, merge driver, signing), each
of which would create a marker file; then runs what the agent runs and checks that no marker exists.
"""

import os
import subprocess
from pathlib import Path

import pytest

from codetether.agent.prompt import git_summary, system_prompt
from codetether.security.git import UnsafeRepository
from codetether.swarm.worktree import Worktrees, is_git_repo


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True
    )


def _poison(repo: Path, markers: Path) -> None:
    """Every command git could be told to run writes ``markers/<what>``."""

    def run(what: str, tail: str = "") -> str:
        return f"sh -c 'touch {markers}/{what}{tail}'"

    config = f"""
[core]
\tfsmonitor = "{run("fsmonitor")}"
\tpager = "{run("pager")}; cat"
\thooksPath = {repo}/.git/evil-hooks
[commit]
\tgpgSign = true
[gpg]
\tprogram = {markers}/../gpg.sh
[diff]
\texternal = "{run("diff-external")}"
[diff "evil"]
\ttextconv = "{run("textconv")}; cat"
\tcommand = "{run("diff-command")}"
[filter "evil"]
\tclean = "{run("clean")}; cat"
\tsmudge = "{run("smudge")}; cat"
\trequired = true
[merge "evil"]
\tdriver = "{run("merge-driver")}"
[gc]
\tauto = 1
"""
    with (repo / ".git" / "config").open("a") as f:
        f.write(config)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* diff=evil filter=evil merge=evil\n")
    (markers.parent / "gpg.sh").write_text(f"#!/bin/sh\ntouch {markers}/gpg\nexit 1\n")
    (markers.parent / "gpg.sh").chmod(0o755)
    for hooks in (repo / ".git" / "hooks", repo / ".git" / "evil-hooks"):
        hooks.mkdir(exist_ok=True)
        for hook in ("pre-commit", "post-commit", "post-checkout", "post-merge", "reference-transaction"):
            (hooks / hook).write_text(f"#!/bin/sh\ntouch {markers}/hook-{hook}\n")
            (hooks / hook).chmod(0o755)


@pytest.fixture
def poisoned(tmp_path: Path) -> tuple[Path, Path]:
    repo, markers = tmp_path / "repo", tmp_path / "markers"
    repo.mkdir()
    markers.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "notes.txt").write_text("one\ntwo\nthree\nfour\nfive\nsix\n")
    _git(repo, "add", "notes.txt")
    _git(repo, "commit", "-q", "-m", "start")
    _poison(repo, markers)
    return repo, markers


def test_plain_git_runs_the_poisoned_config(poisoned):
    """The fixture is a real threat: git as a user types it runs the repository's commands."""
    repo, markers = poisoned
    (repo / "notes.txt").write_text("changed\n")
    subprocess.run(["git", "status"], cwd=repo, capture_output=True)
    subprocess.run(["git", "diff"], cwd=repo, capture_output=True)
    assert {"fsmonitor", "clean", "diff-command"} <= {p.name for p in markers.iterdir()}


def test_the_system_prompt_git_status_runs_nothing_from_the_repository_config(poisoned):
    repo, markers = poisoned
    (repo / "notes.txt").write_text("changed\n")  # dirty: status must look inside the file
    assert git_summary(repo) == "branch main; 1 changed or untracked file"
    assert "Git: branch main" in system_prompt(repo)
    assert sorted(p.name for p in markers.iterdir()) == []


async def test_swarm_worktrees_run_nothing_from_the_repository_config(poisoned, tmp_path):
    repo, markers = poisoned
    assert await is_git_repo(repo)
    trees = Worktrees(repo, "t1", tmp_path / "worktrees")
    await trees.start()
    first, second = await trees.create("a"), await trees.create("b")
    (first / "notes.txt").write_text("ONE\ntwo\nthree\nfour\nfive\nsix\n")
    (second / "notes.txt").write_text("one\ntwo\nthree\nfour\nfive\nSIX\n")
    assert "ONE" in await trees.commit("a", "first line")
    assert "SIX" in await trees.commit("b", "last line")
    assert await trees.merge("a") == []
    assert await trees.merge("b") == []  # a real three-way merge: git's own text merge, not the config's driver
    assert await trees.finish() == (True, [])
    await trees.cleanup(keep_branch=False)
    assert (repo / "notes.txt").read_text() == "ONE\ntwo\nthree\nfour\nfive\nSIX\n"
    assert sorted(p.name for p in markers.iterdir()) == []


@pytest.fixture
def foreign_repo(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another user (chown)")
    repo = tmp_path / "theirs"
    repo.mkdir()
    _git(repo, "init", "-q")
    for path in [repo, *repo.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    return repo


def test_a_repository_owned_by_another_user_is_reported_not_taken_for_no_repository(foreign_repo):
    summary = git_summary(foreign_repo)
    assert "owned by another user" in summary
    assert f"git config --global --add safe.directory {foreign_repo}" in summary


async def test_a_swarm_in_a_repository_owned_by_another_user_fails_with_the_way_out(foreign_repo):
    with pytest.raises(UnsafeRepository) as caught:
        await is_git_repo(foreign_repo)
    assert "safe.directory" in (caught.value.hint or "")
