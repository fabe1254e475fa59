"""The file-backed session: its history in memory, its records appended to a JSONL file.

Writes leave the event loop (:mod:`.session_log`); ``await flush()`` waits until they are on disk.
Two kinds of records wait before they are written: the header of a new session or the repair of a
loaded one (written with the first flush), and the *pending* messages of a turn in progress, held
back until something follows them. A run adds its prompt as pending, so a run whose first model
request fails (a provider outage, a resume that cannot start) leaves the file as it found it.
"""

import asyncio
import datetime as dt
import secrets
from pathlib import Path

from ..paths import data_dir
from ..providers.types import Message, Usage
from . import session_records as records
from .session_log import AppendLog
from .session_records import CheckpointRecord, MessageRecord, MetaRecord, Record, SessionSummary, UsageRecord
from .session_repair import repair


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def new_session_id() -> str:
    return f"ses_{dt.datetime.now(dt.UTC).strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(3)}"


def first_line_title(messages: list[Message]) -> str:
    first_user = next((m for m in messages if m.role == "user"), None)
    text = first_user.text.strip() if first_user is not None else ""
    return text.splitlines()[0][:80] if text else ""


class FileSession:
    """An open session file (see the module docstring)."""

    def __init__(
        self,
        meta: MetaRecord,
        path: Path,
        messages: list[Message],
        usage: Usage,
        *,
        backlog: list[Record] | None = None,
        torn_at: int | None = None,
    ) -> None:
        self.meta = meta
        self.path = path
        self.messages = messages
        self.usage = usage
        self._backlog: list[Record] = backlog or []
        self._unwritten = len(messages)  # index of the first message not written yet (the rest are pending)
        self._log = AppendLog(path, truncate_to=torn_at)

    @property
    def id(self) -> str:
        return self.meta.id

    @classmethod
    def create(
        cls, cwd: Path, model: str, *, directory: Path | None = None, system: str | None = None
    ) -> "FileSession":
        """A new session; its file (and directory) appear with its first flush or record."""
        meta = MetaRecord(id=new_session_id(), cwd=str(cwd), created=dt.datetime.now(dt.UTC).isoformat(), model=model)
        messages = [Message.system(system)] if system else []
        backlog: list[Record] = [meta, *(MessageRecord(message=m) for m in messages)]
        return cls(meta, (directory or sessions_dir()) / f"{meta.id}.jsonl", messages, Usage(), backlog=backlog)

    @classmethod
    def load(cls, path: Path) -> "FileSession":
        """The session in ``path``, with unanswered tool calls answered (see :mod:`.session_repair`)."""
        replayed = records.replay(path)
        messages = repair(replayed.messages)
        backlog: list[Record] = []
        if messages != replayed.messages:
            known = len(replayed.messages)
            if messages[:known] == replayed.messages:  # only added at the end: append those
                backlog = [MessageRecord(message=m) for m in messages[known:]]
            else:
                backlog = [CheckpointRecord(messages=messages)]
        return cls(replayed.meta, path, messages, replayed.usage, backlog=backlog, torn_at=replayed.torn_at)

    # --- the history --------------------------------------------------------------------------------
    def add(self, *messages: Message) -> None:
        """Append ``messages`` (and any pending ones before them) to the history and the file."""
        self.messages.extend(messages)
        self._write([])

    def add_pending(self, *messages: Message) -> None:
        """Append ``messages`` to the history; they are written with the next record, or dropped."""
        self.messages.extend(messages)

    def discard_pending(self) -> None:
        """Forget the pending messages: the turn they began failed before anything followed them."""
        del self.messages[self._unwritten :]

    def add_usage(self, usage: Usage, model: str) -> None:
        self.usage = self.usage + usage
        self._write([UsageRecord(usage=usage, model=model)])

    def checkpoint(self, messages: list[Message]) -> None:
        """Replace the history (compaction). Pending messages still at its end stay pending."""
        pending = self.messages[self._unwritten :]
        self.messages = list(messages)
        if pending and self.messages[-len(pending) :] == pending:
            written = self.messages[: -len(pending)]
            self._backlog.append(CheckpointRecord(messages=written))
            self._unwritten = len(written)
            self._flush_backlog()
            return
        self._unwritten = len(self.messages)
        self._write([CheckpointRecord(messages=self.messages)])

    async def flush(self) -> None:
        """Wait, off the event loop, until every record written so far is on disk."""
        self._flush_backlog()
        await asyncio.wrap_future(self._log.durable())

    def flush_blocking(self) -> None:
        """:meth:`flush` for callers without an event loop (the CLI's session commands, tests)."""
        self._flush_backlog()
        self._log.durable().result()

    # --- writing ------------------------------------------------------------------------------------
    def _flush_backlog(self) -> None:
        if self._backlog:
            batch, self._backlog = self._backlog, []
            self._log.append(records.encode(batch))

    def _write(self, tail: list[Record]) -> None:
        start = min(self._unwritten, len(self.messages))
        batch: list[Record] = [*self._backlog]
        if start < len(self.messages) and not self.meta.title:
            self.meta.title = first_line_title(self.messages)
            if self.meta.title:
                batch.append(self.meta)
        batch += [MessageRecord(message=m) for m in self.messages[start:]]
        batch += tail
        if batch:
            self._log.append(records.encode(batch))
        self._backlog = []
        self._unwritten = len(self.messages)

    def summary(self) -> SessionSummary:
        m = self.meta
        return SessionSummary(
            id=m.id,
            cwd=m.cwd,
            created=m.created,
            model=m.model,
            title=m.title,
            messages=len(self.messages),
            usage=self.usage,
            path=str(self.path),
        )
