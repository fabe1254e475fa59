"""Sessions: what the agent loop needs of one (:class:`Session`), and finding saved ones.

Two implementations: :class:`FileSession` (one append-only JSONL file under the data dir, written
off the event loop; see :mod:`.session_file`) and :class:`MemorySession` (nothing written, for
sub-queries). ``FileSession.create``, :func:`find_session` and :func:`latest_session` are how
callers open one.
"""

import logging
from pathlib import Path
from typing import Protocol

from ..errors import CodetetherError
from ..providers.types import Message, Usage
from .session_file import FileSession, new_session_id, sessions_dir
from .session_log import SessionWriteError
from .session_memory import MemorySession
from .session_records import MetaRecord, SessionSummary
from .session_repair import INTERRUPTED

log = logging.getLogger(__name__)

__all__ = [
    "INTERRUPTED",
    "FileSession",
    "MemorySession",
    "Session",
    "SessionNotFound",
    "SessionSummary",
    "SessionWriteError",
    "all_sessions",
    "find_session",
    "latest_session",
    "new_session_id",
    "sessions_dir",
]


class Session(Protocol):
    """A conversation's history as the agent loop reads and extends it."""

    meta: MetaRecord
    messages: list[Message]
    usage: Usage

    @property
    def id(self) -> str: ...

    def add(self, *messages: Message) -> None:
        """Append to the history for good (with any pending messages before them)."""

    def add_pending(self, *messages: Message) -> None:
        """Append a turn's opening (the prompt); kept only once something follows it."""

    def discard_pending(self) -> None:
        """Drop the pending messages: the turn failed before the model answered."""

    def add_usage(self, usage: Usage, model: str) -> None:
        """Count one model reply's tokens."""

    def checkpoint(self, messages: list[Message]) -> None:
        """Replace the history with a shorter one (compaction)."""

    async def flush(self) -> None:
        """Return once everything added so far is durable; raises :class:`SessionWriteError` if not."""


class SessionNotFound(CodetetherError):
    pass


def all_sessions(directory: Path | None = None) -> list[Path]:
    """Session files, newest first."""
    directory = directory or sessions_dir()
    if not directory.is_dir():
        return []
    return sorted(directory.glob("ses_*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def find_session(session_id: str, directory: Path | None = None) -> FileSession:
    for path in all_sessions(directory):
        if path.stem == session_id or path.stem.startswith(session_id):
            return FileSession.load(path)
    raise SessionNotFound(f"no session {session_id!r}", "see `codetether sessions list`")


def latest_session(cwd: Path, directory: Path | None = None) -> FileSession:
    for path in all_sessions(directory):
        try:
            session = FileSession.load(path)
        except CodetetherError as exc:  # one damaged file must not block continuing every other session
            log.warning("skipping %s", exc)
            continue
        if Path(session.meta.cwd) == cwd:
            return session
    raise SessionNotFound(f"no earlier session in {cwd}", 'start one with `codetether run "..."`')
