"""Where a PRD's run state lives outside the repository: its id, its last report and its run lock.

The id names the PRD on the bus (``ralph.{prd_id}``) and in the data dir; it is the feature's slug
plus a hash of the file's absolute path, so two PRDs with one feature name do not mix. The lock is
an ``flock``: the kernel drops it when the process dies (kill -9 included), so it never goes stale.
"""

import fcntl
import hashlib
import os
from pathlib import Path

import msgspec

from ..errors import CodetetherError
from ..paths import data_dir
from .prd import write_atomic
from .report import RalphReport, StoryResult
from .template import slug


def prd_id(path: Path, feature: str) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:6]
    return f"{slug(feature)[:40]}-{digest}"


def state_dir() -> Path:
    return data_dir() / "ralph"


def worktree_root(pid: str) -> Path:
    return state_dir() / "worktrees" / pid


def save_report(report: RalphReport) -> None:
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(directory / f"{report.prd_id}.json", msgspec.json.encode(report))


def load_report(pid: str) -> RalphReport | None:
    try:
        return msgspec.json.decode((state_dir() / f"{pid}.json").read_bytes(), type=RalphReport)
    except (FileNotFoundError, msgspec.DecodeError):
        return None


class Landing(msgspec.Struct, kw_only=True):
    """A story being merged: written before the merge, removed once the PRD and progress say it passed.

    A run killed in between (the merge done, the PRD flag not yet written) leaves it behind; the next
    run finds ``commit`` in the PRD's branch and finishes the bookkeeping instead of redoing the story.
    """

    story: str
    commit: str
    result: StoryResult


def _landing_path(pid: str) -> Path:
    return state_dir() / f"{pid}.landing.json"


def save_landing(pid: str, landing: Landing) -> None:
    state_dir().mkdir(parents=True, exist_ok=True)
    write_atomic(_landing_path(pid), msgspec.json.encode(landing))


def load_landing(pid: str) -> Landing | None:
    try:
        return msgspec.json.decode(_landing_path(pid).read_bytes(), type=Landing)
    except (FileNotFoundError, msgspec.DecodeError):
        return None


def clear_landing(pid: str) -> None:
    _landing_path(pid).unlink(missing_ok=True)


class RunLock:
    """One run per PRD at a time."""

    def __init__(self, pid: str) -> None:
        self.path = state_dir() / f"{pid}.lock"
        self._fd: int | None = None

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise CodetetherError(
                "another Ralph run is working on this PRD", "wait for it to finish (`codetether ralph status`)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def held(self) -> bool:
        """Whether some process holds the lock now (for ``status``)."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
