"""The audit trail: an append-only, hash-chained JSON-lines log that makes tampering evident.

Each record carries the previous record's hash, and its own hash covers every other field, so
changing, removing or reordering a line breaks the chain at that point. Appends are serialised
across processes with an exclusive file lock and fsynced before ``append`` returns: a record that
was acknowledged survives ``kill -9``. A kill mid-write leaves at most one torn final line, which
``verify`` reports and the next writer truncates before writing (recording that it did).
Files rotate by size; the first record of a new file chains to the last record of the old one.
"""

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from ..errors import CodetetherError
from ..paths import data_dir, ensure_private_dir

GENESIS = "0" * 64
CURRENT = "audit.jsonl"
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


class AuditRecord(msgspec.Struct, kw_only=True):
    seq: int
    ts: float
    actor: str
    action: str
    resource: str = ""
    outcome: str = "ok"
    detail: str = ""
    duration_ms: float = 0.0
    prev_hash: str = GENESIS
    hash: str = ""


class _Unhashed(msgspec.Struct, kw_only=True):
    """The fields the hash covers, in a fixed order (msgspec encodes struct fields in declaration order)."""

    seq: int
    ts: float
    actor: str
    action: str
    resource: str
    outcome: str
    detail: str
    duration_ms: float
    prev_hash: str


def record_hash(record: AuditRecord) -> str:
    fields = {name: getattr(record, name) for name in _Unhashed.__struct_fields__}
    return hashlib.sha256(msgspec.json.encode(_Unhashed(**fields))).hexdigest()


def audit_dir() -> Path:
    return data_dir() / "audit"


def log_files(directory: Path) -> list[Path]:
    """Rotated files (``audit-<seq>.jsonl``) oldest first, then the current file; other names are ignored."""
    rotated = sorted(
        (p for p in directory.glob("audit-*.jsonl") if p.stem.split("-", 1)[1].isdigit()),
        key=lambda p: int(p.stem.split("-", 1)[1]),
    )
    current = directory / CURRENT
    return [*rotated, *([current] if current.exists() else [])]


class AuditCorrupt(CodetetherError):
    """The log's last record cannot be read, so no new record can be chained to it."""


def _last_record(lines: list[bytes], path: Path) -> AuditRecord:
    try:
        return msgspec.json.decode(lines[-1], type=AuditRecord)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise AuditCorrupt(
            f"the last line of {path} is not an audit record ({exc}); nothing can be chained to it",
            "run `codetether audit verify` to see what changed, then move the damaged file aside",
        ) from exc


def _line_start(fd: int, end: int) -> int:
    """The offset just after the last newline before ``end`` (0 if there is none)."""
    position = end
    while position > 0:
        step = min(position, 65536)
        cut = os.pread(fd, step, position - step).rfind(b"\n")
        if cut >= 0:
            return position - step + cut + 1
        position -= step
    return 0


class AuditLog:
    def __init__(self, directory: Path | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory or audit_dir()
        self.max_bytes = max_bytes
        # (inode, size, seq, hash) after our last write: while the file is still exactly that, its tail
        # needs no re-reading. Any other writer (another process) changes the size and so the key.
        self._last: tuple[int, int, int, str] | None = None

    def _tail(self, fd: int) -> tuple[int, str, int]:
        """(last seq, last hash, offset where a torn final line starts or -1) of the current file.

        The last line is found by scanning back to the newline before it, however long it is: reading a
        fixed-size tail instead made one record over that size look corrupt to every later writer."""
        size = os.fstat(fd).st_size
        if size == 0:
            return (*self._previous_file_tail(), -1)
        torn = -1
        end = size
        if os.pread(fd, 1, size - 1) != b"\n":
            torn = end = _line_start(fd, size)
        if end == 0:
            return (*self._previous_file_tail(), torn)
        start = _line_start(fd, end - 1)
        last = _last_record([os.pread(fd, end - 1 - start, start)], self.directory / CURRENT)
        return last.seq, last.hash, torn

    def _previous_file_tail(self) -> tuple[int, str]:
        rotated = [p for p in log_files(self.directory) if p.name != CURRENT]
        if not rotated:
            return 0, GENESIS
        for path in reversed(rotated):
            lines = path.read_bytes().splitlines()
            if lines:
                last = _last_record(lines, path)
                return last.seq, last.hash
        return 0, GENESIS

    def append(
        self,
        actor: str,
        action: str,
        resource: str = "",
        outcome: str = "ok",
        detail: str = "",
        duration_ms: float = 0.0,
    ) -> AuditRecord:
        """Write one record; it is on disk (fsynced) when this returns."""
        entry = AuditEntry(
            actor=actor, action=action, resource=resource, outcome=outcome, detail=detail, duration_ms=duration_ms
        )
        return self.append_many([entry])[-1]

    def append_many(self, entries: list["AuditEntry"]) -> list[AuditRecord]:
        """Write several records under one lock and one fsync (a group commit); on disk when this returns."""
        ensure_private_dir(self.directory)
        path = self.directory / CURRENT
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)  # another writer rotated the file while we waited for the lock: open the new one
        try:
            info = os.fstat(fd)
            if self._last is not None and self._last[:2] == (info.st_ino, info.st_size):
                seq, prev, torn = self._last[2], self._last[3], -1
            else:
                seq, prev, torn = self._tail(fd)
            pending: list[AuditRecord] = []
            if torn >= 0:
                os.ftruncate(fd, torn)
                seq += 1
                repair = AuditRecord(
                    seq=seq,
                    ts=time.time(),
                    actor="codetether",
                    action="audit.repair",
                    detail="a torn final line (from a killed writer) was removed",
                    prev_hash=prev,
                )
                repair.hash = record_hash(repair)
                pending.append(repair)
                prev = repair.hash
            written = []
            for entry in entries:
                seq += 1
                record = AuditRecord(
                    seq=seq,
                    ts=entry.ts or time.time(),
                    actor=entry.actor,
                    action=entry.action,
                    resource=entry.resource,
                    outcome=entry.outcome,
                    detail=entry.detail,
                    duration_ms=float(entry.duration_ms),
                    prev_hash=prev,
                )
                record.hash = record_hash(record)
                prev = record.hash
                pending.append(record)
                written.append(record)
            os.write(fd, b"".join(msgspec.json.encode(r) + b"\n" for r in pending))
            os.fsync(fd)
            info = os.fstat(fd)
            self._last = (info.st_ino, info.st_size, seq, prev)
            if info.st_size >= self.max_bytes:
                path.rename(self.directory / f"audit-{seq}.jsonl")  # still under the lock
                self._last = None
            return written
        finally:
            os.close(fd)  # closing releases the lock


class AuditEntry(msgspec.Struct, kw_only=True):
    """What a caller records; the log adds sequence number and hashes when it writes it."""

    actor: str
    action: str
    resource: str = ""
    outcome: str = "ok"
    detail: str = ""
    duration_ms: float = 0.0
    ts: float = 0.0  # when it happened (0: when written)


class VerifyResult(msgspec.Struct, kw_only=True):
    ok: bool
    records: int
    files: int
    problem: str = ""
    file: str = ""
    line: int = 0


def read_records(directory: Path) -> Iterator[tuple[Path, int, bytes]]:
    for path in log_files(directory):
        for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
            if line:
                yield path, number, line


def verify(directory: Path | None = None) -> VerifyResult:
    """Walk every file in order and report the first broken link."""
    directory = directory or audit_dir()
    files = log_files(directory)
    prev, expected_seq, count = GENESIS, 1, 0
    for path in files:
        lines = path.read_bytes().split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            problem = ""
            if number == len(lines) and path == files[-1]:
                problem = "torn final line (a writer was killed mid-write); the next write repairs it"
            else:
                try:
                    record = msgspec.json.decode(line, type=AuditRecord)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    problem = f"unreadable record: {exc}"
                else:
                    if record.prev_hash != prev:
                        problem = (
                            "prev_hash does not match the previous record (a record was removed, inserted or reordered)"
                        )
                    elif record.hash != record_hash(record):
                        problem = "hash does not match the record's content (the record was altered)"
                    elif record.seq != expected_seq:
                        problem = f"sequence number {record.seq}, expected {expected_seq}"
            if problem:
                return VerifyResult(
                    ok=False, records=count, files=len(files), file=str(path), line=number, problem=problem
                )
            prev, expected_seq, count = record.hash, expected_seq + 1, count + 1
    return VerifyResult(ok=True, records=count, files=len(files))


def epoch_seconds(value: float | str | None) -> float | None:
    """A time bound given as Unix seconds or as ISO 8601 text (a date, or a date and time; without an
    offset it is UTC, the zone the records' timestamps are read in)."""
    if value is None or isinstance(value, int | float):
        return value
    try:
        return float(value)
    except ValueError:
        pass
    moment = datetime.fromisoformat(value.strip())  # ValueError names the text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class AuditQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    actor: str | None = None
    action: str | None = None
    resource: str | None = None
    outcome: str | None = None
    since: float | str | None = None  # Unix seconds or ISO 8601; seconds once decoded
    until: float | str | None = None
    after: int = 0  # return records with seq > after (paging cursor)
    limit: int = 100

    def __post_init__(self) -> None:
        try:
            self.since = epoch_seconds(self.since)
            self.until = epoch_seconds(self.until)
        except ValueError as exc:
            raise ValueError(f"since and until take Unix seconds or ISO 8601 times: {exc}") from None


def query(
    q: AuditQuery, directory: Path | None = None, *, skip_actions: frozenset[str] = frozenset()
) -> list[AuditRecord]:
    """Records matching ``q`` in order, leaving out those whose action is in ``skip_actions``."""
    out: list[AuditRecord] = []
    for _, _, line in read_records(directory or audit_dir()):
        try:
            record = msgspec.json.decode(line, type=AuditRecord)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue  # a torn final line; verify reports it
        if record.seq <= q.after or record.action in skip_actions:
            continue
        if (q.actor and record.actor != q.actor) or (q.action and not record.action.startswith(q.action)):
            continue
        if (q.resource and q.resource not in record.resource) or (q.outcome and record.outcome != q.outcome):
            continue
        if (q.since and record.ts < q.since) or (q.until and record.ts > q.until):
            continue
        out.append(record)
        if len(out) >= q.limit:
            break
    return out
