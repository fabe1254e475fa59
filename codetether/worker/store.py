"""Where the work queue lives: registered workers, claimable tasks with their leases, and the event log.

Exactly-once claims are the store's job, not a lock's: a claim is one conditional ``UPDATE ... WHERE
state = 'pending'``, so of any number of concurrent claimers (in this process or, with a shared
database, in other replicas) exactly one changes the row and wins. Leases, hand-backs and expiry
are conditional updates of the same kind. The event log gives each "task became claimable" a
sequence number, which is the SSE stream's event id; it keeps the last ``replay_events`` entries
so a worker reconnecting with ``Last-Event-ID`` gets what it missed.
"""

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

import msgspec

from .types import QueueEvent, WorkItem


class WorkerRecord(msgspec.Struct, kw_only=True):
    worker_id: str
    name: str
    owner: str  # the principal that registered it
    registered_at: float
    last_seen: float
    info: dict = {}  # what it registered with and its last heartbeat


class QueueStore(Protocol):
    """Persistence for workers, claimable tasks (with leases) and the task-available event log."""

    def add_worker(self, record: WorkerRecord, token_hash: str) -> None: ...

    def worker_by_token(self, token_hash: str) -> WorkerRecord | None: ...

    def get_worker(self, worker_id: str) -> WorkerRecord | None: ...

    def list_workers(self) -> list[WorkerRecord]: ...

    def touch_worker(self, worker_id: str, info: dict, now: float, lease_until: float) -> int:
        """Record a heartbeat and extend the leases of every task the worker holds; returns how many."""

    def forget_workers(self, before: float) -> list[WorkerRecord]:
        """Delete the workers last seen before ``before`` that hold no task (in the same transaction as
        the check, so a heartbeat or claim racing it either keeps the worker or finds it gone)."""

    def enqueue(self, item: WorkItem, owner: str, now: float) -> int:
        """Make ``item`` claimable (a new task, or a new turn of one); returns its event's sequence number."""

    def claim(self, task_id: str, worker_id: str, lease_until: float) -> WorkItem | None:
        """Atomically take a pending task; ``None`` when it is not pending (someone else won)."""

    def holder(self, task_id: str) -> tuple[str, str] | None:
        """``(state, worker_id)`` of the task, or ``None`` if the queue does not know it."""

    def held_by(self, worker_id: str) -> list[str]: ...

    def held_counts(self) -> dict[str, int]:
        """How many tasks each worker holds now."""

    def finish(self, task_id: str, worker_id: str) -> bool:
        """The holder is done with the task (completed, failed or waiting for input)."""

    def give_back(self, task_id: str, worker_id: str, now: float) -> int | None:
        """The holder returns the task to the queue; its new event's sequence number, or ``None``."""

    def expire(self, now: float) -> list[tuple[str, str, int]]:
        """Re-queue every claim whose lease ran out: ``(task_id, former worker, event seq)`` each."""

    def drop(self, task_id: str) -> str:
        """Take the task out of the queue (canceled); returns the worker that held it, or ""."""

    def pending(self, limit: int) -> list[WorkItem]: ...

    def events_after(self, seq: int, limit: int) -> list[QueueEvent]: ...

    def event_bounds(self) -> tuple[int, int]:
        """``(first retained seq, last seq)``; ``(0, 0)`` when the log is empty."""

    def prune_events(self, keep: int) -> None: ...

    def abandon_open(self) -> int:
        """At start: drop every task a previous process queued (its A2A task was failed by recovery)."""

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS work_items (
    task_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    worker_id TEXT NOT NULL DEFAULT '',
    lease_until REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS work_items_by_state ON work_items (state, created);
CREATE INDEX IF NOT EXISTS work_items_by_worker ON work_items (worker_id, state);
CREATE TABLE IF NOT EXISTS queue_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    at REAL NOT NULL,
    body BLOB NOT NULL
);
"""


class SQLiteQueueStore:
    """The default :class:`QueueStore`: one SQLite file (or ``:memory:``), next to the task store."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 0.5) -> None:
        """``busy_timeout``: how long a statement waits for another connection's write (short on the
        server's event loop; longer where many processes share one file)."""
        if str(path) != ":memory:":
            from ..paths import create_private_file, ensure_private_dir

            ensure_private_dir(Path(path).parent)
            create_private_file(Path(path))
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._encode = msgspec.json.Encoder().encode
        self._item = msgspec.json.Decoder(WorkItem).decode
        self._worker = msgspec.json.Decoder(WorkerRecord).decode

    def _tx(self, fn):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    # -- workers ---------------------------------------------------------------------------------

    def add_worker(self, record: WorkerRecord, token_hash: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO workers (id, token_hash, body) VALUES (?, ?, ?)",
                (record.worker_id, token_hash, self._encode(record)),
            )

    def worker_by_token(self, token_hash: str) -> WorkerRecord | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM workers WHERE token_hash = ?", (token_hash,)).fetchone()
        return self._worker(row[0]) if row else None

    def get_worker(self, worker_id: str) -> WorkerRecord | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM workers WHERE id = ?", (worker_id,)).fetchone()
        return self._worker(row[0]) if row else None

    def list_workers(self) -> list[WorkerRecord]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM workers ORDER BY id").fetchall()
        return [self._worker(row[0]) for row in rows]

    def touch_worker(self, worker_id: str, info: dict, now: float, lease_until: float) -> int:
        def run(db: sqlite3.Connection) -> int:
            row = db.execute("SELECT body FROM workers WHERE id = ?", (worker_id,)).fetchone()
            if row is None:
                return -1
            record = self._worker(row[0])
            record.last_seen = now
            record.info = {**record.info, **info}
            db.execute("UPDATE workers SET body = ? WHERE id = ?", (self._encode(record), worker_id))
            cursor = db.execute(
                "UPDATE work_items SET lease_until = ? WHERE worker_id = ? AND state = 'claimed'",
                (lease_until, worker_id),
            )
            return cursor.rowcount

        return self._tx(run)

    def forget_workers(self, before: float) -> list[WorkerRecord]:
        def run(db: sqlite3.Connection) -> list[WorkerRecord]:
            held = {row[0] for row in db.execute("SELECT DISTINCT worker_id FROM work_items WHERE state = 'claimed'")}
            gone = []
            for worker_id, body in db.execute("SELECT id, body FROM workers").fetchall():
                record = self._worker(body)
                if record.last_seen < before and worker_id not in held:
                    db.execute("DELETE FROM workers WHERE id = ?", (worker_id,))
                    gone.append(record)
            return gone

        return self._tx(run)

    # -- tasks -----------------------------------------------------------------------------------

    def _event(self, db: sqlite3.Connection, item: WorkItem, now: float) -> int:
        cursor = db.execute(
            "INSERT INTO queue_events (task_id, at, body) VALUES (?, ?, ?)",
            (item.task_id, now, self._encode(item)),
        )
        return int(cursor.lastrowid or 0)

    def enqueue(self, item: WorkItem, owner: str, now: float) -> int:
        item = msgspec.structs.replace(item, status="pending", worker_id="")

        def run(db: sqlite3.Connection) -> int:
            db.execute(
                "INSERT OR REPLACE INTO work_items (task_id, owner, state, worker_id, lease_until, attempts, created,"
                " body) VALUES (?, ?, 'pending', '', 0, 0, ?, ?)",
                (item.task_id, owner, now, self._encode(item)),
            )
            return self._event(db, item, now)

        return self._tx(run)

    def claim(self, task_id: str, worker_id: str, lease_until: float) -> WorkItem | None:
        def run(db: sqlite3.Connection) -> WorkItem | None:
            cursor = db.execute(
                "UPDATE work_items SET state = 'claimed', worker_id = ?, lease_until = ?, attempts = attempts + 1"
                " WHERE task_id = ? AND state = 'pending'",
                (worker_id, lease_until, task_id),
            )
            if cursor.rowcount != 1:
                return None
            body, attempts = db.execute(
                "SELECT body, attempts FROM work_items WHERE task_id = ?", (task_id,)
            ).fetchone()
            return msgspec.structs.replace(self._item(body), status="claimed", worker_id=worker_id, attempts=attempts)

        return self._tx(run)

    def holder(self, task_id: str) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute("SELECT state, worker_id FROM work_items WHERE task_id = ?", (task_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def held_by(self, worker_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT task_id FROM work_items WHERE worker_id = ? AND state = 'claimed'", (worker_id,)
            ).fetchall()
        return [row[0] for row in rows]

    def held_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT worker_id, COUNT(*) FROM work_items WHERE state = 'claimed' GROUP BY worker_id"
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def finish(self, task_id: str, worker_id: str) -> bool:
        def run(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE work_items SET state = 'done', lease_until = 0"
                " WHERE task_id = ? AND worker_id = ? AND state = 'claimed'",
                (task_id, worker_id),
            )
            return cursor.rowcount == 1

        return self._tx(run)

    def _requeue(self, db: sqlite3.Connection, task_id: str, now: float) -> int:
        body = db.execute("SELECT body FROM work_items WHERE task_id = ?", (task_id,)).fetchone()[0]
        return self._event(db, self._item(body), now)

    def give_back(self, task_id: str, worker_id: str, now: float) -> int | None:
        def run(db: sqlite3.Connection) -> int | None:
            cursor = db.execute(
                "UPDATE work_items SET state = 'pending', worker_id = '', lease_until = 0"
                " WHERE task_id = ? AND worker_id = ? AND state = 'claimed'",
                (task_id, worker_id),
            )
            return self._requeue(db, task_id, now) if cursor.rowcount == 1 else None

        return self._tx(run)

    def expire(self, now: float) -> list[tuple[str, str, int]]:
        def run(db: sqlite3.Connection) -> list[tuple[str, str, int]]:
            rows = db.execute(
                "SELECT task_id, worker_id FROM work_items WHERE state = 'claimed' AND lease_until < ?", (now,)
            ).fetchall()
            expired = []
            for task_id, worker_id in rows:
                cursor = db.execute(
                    "UPDATE work_items SET state = 'pending', worker_id = '', lease_until = 0"
                    " WHERE task_id = ? AND state = 'claimed' AND lease_until < ?",
                    (task_id, now),
                )
                if cursor.rowcount == 1:
                    expired.append((task_id, worker_id, self._requeue(db, task_id, now)))
            return expired

        return self._tx(run)

    def drop(self, task_id: str) -> str:
        def run(db: sqlite3.Connection) -> str:
            row = db.execute(
                "SELECT worker_id FROM work_items WHERE task_id = ? AND state != 'done'", (task_id,)
            ).fetchone()
            db.execute("UPDATE work_items SET state = 'done', lease_until = 0 WHERE task_id = ?", (task_id,))
            return row[0] if row else ""

        return self._tx(run)

    def pending(self, limit: int) -> list[WorkItem]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM work_items WHERE state = 'pending' ORDER BY created, task_id LIMIT ?", (limit,)
            ).fetchall()
        return [self._item(row[0]) for row in rows]

    # -- the event log ---------------------------------------------------------------------------

    def events_after(self, seq: int, limit: int) -> list[QueueEvent]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, body FROM queue_events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            ).fetchall()
        return [QueueEvent(seq=row[0], task=self._item(row[1])) for row in rows]

    def event_bounds(self) -> tuple[int, int]:
        with self._lock:
            first, last = self._db.execute("SELECT MIN(seq), MAX(seq) FROM queue_events").fetchone()
            if last is None:  # empty: AUTOINCREMENT still remembers the last number it gave out
                row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'queue_events'").fetchone()
                last = row[0] if row else 0
                return last + 1, last
        return first, last

    def prune_events(self, keep: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM queue_events WHERE seq <= (SELECT MAX(seq) FROM queue_events) - ?", (keep,))

    def abandon_open(self) -> int:
        def run(db: sqlite3.Connection) -> int:
            return db.execute("UPDATE work_items SET state = 'done' WHERE state != 'done'").rowcount

        return self._tx(run)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def now() -> float:
    return time.time()
