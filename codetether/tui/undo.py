"""``/undo``: put back the files the last agent run changed, through git.

Before each run the conductor takes a snapshot: ``git stash create`` (a commit of the working tree's
tracked files that touches nothing; HEAD when the tree is clean) and the list of untracked files.
Undo restores every tracked path that differs from that snapshot and deletes the files the run
created. A file that was untracked before the run and that the run changed cannot be restored
(git never held it). Changes made by hand during the run are undone too.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Snapshot:
    commit: str
    untracked: frozenset[str]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=30).stdout


def _untracked(cwd: Path) -> frozenset[str]:
    return frozenset(_git(cwd, "ls-files", "--others", "--exclude-standard", "-z").split("\0")) - {""}


def snapshot(cwd: Path) -> Snapshot | None:
    """The state to return to; None outside a git repository or before its first commit."""
    try:
        commit = _git(cwd, "stash", "create").strip() or _git(cwd, "rev-parse", "--verify", "HEAD").strip()
        return Snapshot(commit, _untracked(cwd))
    except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired):
        return None


def changed_since(cwd: Path, snap: Snapshot) -> list[str]:
    """Paths (relative to the repository top) that differ from ``snap``: changed, deleted or new."""
    top = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    tracked = [p for p in _git(top, "diff", "--name-only", "-z", snap.commit).split("\0") if p]
    created = sorted(_untracked(top) - snap.untracked)
    return sorted({*tracked, *created})


def undo(cwd: Path, snap: Snapshot) -> list[str]:
    """Restore the tracked files and delete the created ones; the paths restored or deleted."""
    top = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    tracked = [p for p in _git(top, "diff", "--name-only", "-z", snap.commit).split("\0") if p]
    in_snapshot = set(_git(top, "ls-tree", "-r", "--name-only", "-z", snap.commit).split("\0"))
    restore = [p for p in tracked if p in in_snapshot]
    done: list[str] = []
    if restore:
        _git(top, "checkout", snap.commit, "--", *restore)
        done += restore
    for path in [p for p in tracked if p not in in_snapshot]:  # added to the index by the run
        _git(top, "rm", "-q", "--cached", "--", path)
        (top / path).unlink(missing_ok=True)
        done.append(path)
    for path in sorted(_untracked(top) - snap.untracked):
        (top / path).unlink(missing_ok=True)
        done.append(path)
    return done
