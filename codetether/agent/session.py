"""Sessions persisted as they happen: one append-only JSONL file each, under the data dir.

Every record is flushed and fsynced when written, so a killed process loses at most the step in
flight; a torn final line (a kill mid-write) is ignored on load. Compaction writes a checkpoint
record holding the new, shorter history; replay starts from the last checkpoint.
"""

import datetime as dt
import logging
import os
import secrets
from pathlib import Path

import msgspec

from ..errors import CodetetherError
from ..paths import data_dir, ensure_private_dir
from ..providers.types import Message, Usage

log = logging.getLogger(__name__)


class SessionNotFound(CodetetherError):
    pass


class MetaRecord(msgspec.Struct, tag="meta", kw_only=True):
    id: str
    cwd: str
    created: str
    model: str
    title: str = ""


class MessageRecord(msgspec.Struct, tag="message", kw_only=True):
    message: Message


class UsageRecord(msgspec.Struct, tag="usage", kw_only=True):
    usage: Usage
    model: str


class CheckpointRecord(msgspec.Struct, tag="checkpoint", kw_only=True):
    messages: list[Message]


Record = MetaRecord | MessageRecord | UsageRecord | CheckpointRecord
_decoder = msgspec.json.Decoder(Record)
_encoder = msgspec.json.Encoder()


class SessionSummary(msgspec.Struct, kw_only=True):
    id: str
    cwd: str
    created: str
    model: str
    title: str
    messages: int
    usage: Usage
    path: str


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def new_session_id() -> str:
    return f"ses_{dt.datetime.now(dt.UTC).strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(3)}"


class Session:
    """An open session: its history in memory and its file on disk."""

    def __init__(self, meta: MetaRecord, path: Path, messages: list[Message], usage: Usage) -> None:
        self.meta = meta
        self.path = path
        self.messages = messages
        self.usage = usage
        self._pending: list[Record] = []
        self._torn_at: int | None = None

    @property
    def id(self) -> str:
        return self.meta.id

    @classmethod
    def create(cls, cwd: Path, model: str, *, directory: Path | None = None, system: str | None = None) -> "Session":
        """A new session file; ``system`` (the system prompt) is written with the header in one sync."""
        directory = ensure_private_dir(directory or sessions_dir())
        meta = MetaRecord(id=new_session_id(), cwd=str(cwd), created=dt.datetime.now(dt.UTC).isoformat(), model=model)
        messages = [Message.system(system)] if system else []
        session = cls(meta, directory / f"{meta.id}.jsonl", messages, Usage())
        # The file is written with the first record that follows: a session nobody used leaves no file.
        session._pending = [meta, *(MessageRecord(message=m) for m in messages)]
        return session

    @classmethod
    def load(cls, path: Path) -> "Session":
        meta: MetaRecord | None = None
        messages: list[Message] = []
        usage = Usage()
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        torn_at: int | None = None
        offset = 0
        for number, line in enumerate(lines, start=1):
            start, offset = offset, offset + len(line) + 1
            if not line.strip():
                continue
            try:
                record = _decoder.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                if number == len(lines):  # no newline after it: a torn final line from a killed process
                    torn_at = start
                    break
                raise CodetetherError(f"session file {path} is corrupt at line {number}: {exc}") from exc
            if isinstance(record, MetaRecord):
                meta = record
            elif isinstance(record, MessageRecord):
                messages.append(record.message)
            elif isinstance(record, UsageRecord):
                usage = usage + record.usage
            else:
                messages = list(record.messages)
        if meta is None:
            raise CodetetherError(f"session file {path} has no header", "delete it with `codetether sessions delete`")
        session = cls(meta, path, messages, usage)
        session._torn_at = torn_at
        return session

    def _append(self, records: list[Record]) -> None:
        records = [*self._pending, *records]
        data = b"".join(_encoder.encode(r) + b"\n" for r in records)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if self._torn_at is not None:  # cut the torn line first, or the next record would be glued to it
                os.ftruncate(fd, self._torn_at)
                self._torn_at = None
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._pending = []

    def add(self, *messages: Message) -> None:
        if not self.meta.title:
            first_user = next((m for m in (*self.messages, *messages) if m.role == "user"), None)
            if first_user is not None:
                self.meta.title = first_user.text.strip().splitlines()[0][:80] if first_user.text.strip() else ""
                self._append([self.meta])
        self.messages.extend(messages)
        self._append([MessageRecord(message=m) for m in messages])

    def add_usage(self, usage: Usage, model: str) -> None:
        self.usage = self.usage + usage
        self._append([UsageRecord(usage=usage, model=model)])

    def checkpoint(self, messages: list[Message]) -> None:
        self.messages = list(messages)
        self._append([CheckpointRecord(messages=self.messages)])

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


def all_sessions(directory: Path | None = None) -> list[Path]:
    """Session files, newest first."""
    directory = directory or sessions_dir()
    if not directory.is_dir():
        return []
    return sorted(directory.glob("ses_*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def find_session(session_id: str, directory: Path | None = None) -> Session:
    for path in all_sessions(directory):
        if path.stem == session_id or path.stem.startswith(session_id):
            return Session.load(path)
    raise SessionNotFound(f"no session {session_id!r}", "see `codetether sessions list`")


def latest_session(cwd: Path, directory: Path | None = None) -> Session:
    for path in all_sessions(directory):
        try:
            session = Session.load(path)
        except CodetetherError as exc:  # one damaged file must not block continuing every other session
            log.warning("skipping %s", exc)
            continue
        if Path(session.meta.cwd) == cwd:
            return session
    raise SessionNotFound(f"no earlier session in {cwd}", 'start one with `codetether run "..."`')
