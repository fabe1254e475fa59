"""The work queue on PostgreSQL: one queue shared by every ``serve`` replica.

Same rules as :class:`~codetether.worker.store.SQLiteQueueStore`, by the same means: a claim is one
conditional ``UPDATE ... WHERE state = 'pending'``. Under PostgreSQL's row locks a second claimer
of the same task waits for the first to commit, re-reads the row, finds it no longer pending and
changes nothing, so of any number of claimers on any number of replicas exactly one wins. Lease
expiry takes the expired rows ``FOR UPDATE SKIP LOCKED``, so two replicas expiring at once never
re-queue the same claim twice. The schema comes from ``codetether.store`` migrations.
"""

import msgspec

from ..store.postgres import Database
from .store import WorkerRecord
from .types import QueueEvent, WorkItem

# A2A task states in which a queued item may still be wanted (TaskState values, kept here to keep
# the queue free of A2A imports).
_OPEN_TASK_STATES = [
    "TASK_STATE_SUBMITTED",
    "TASK_STATE_WORKING",
    "TASK_STATE_INPUT_REQUIRED",
    "TASK_STATE_AUTH_REQUIRED",
]


class PostgresQueueStore:
    """A :class:`~codetether.worker.store.QueueStore` on the database at ``url``."""

    def __init__(self, url: str) -> None:
        self._db = Database(url, application="codetether-queue")
        self._encode = msgspec.json.Encoder().encode
        self._item = msgspec.json.Decoder(WorkItem).decode
        self._worker = msgspec.json.Decoder(WorkerRecord).decode

    # -- workers ---------------------------------------------------------------------------------

    def add_worker(self, record: WorkerRecord, token_hash: str) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO workers (id, token_hash, body) VALUES (%s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, body = excluded.body",
                (record.worker_id, token_hash, self._encode(record)),
            )

    def worker_by_token(self, token_hash: str) -> WorkerRecord | None:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT body FROM workers WHERE token_hash = %s", (token_hash,)).fetchone()
        return self._worker(row[0]) if row else None

    def get_worker(self, worker_id: str) -> WorkerRecord | None:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT body FROM workers WHERE id = %s", (worker_id,)).fetchone()
        return self._worker(row[0]) if row else None

    def list_workers(self) -> list[WorkerRecord]:
        with self._db.cursor() as cur:
            rows = cur.execute("SELECT body FROM workers ORDER BY id").fetchall()
        return [self._worker(row[0]) for row in rows]

    def touch_worker(self, worker_id: str, info: dict, now: float, lease_until: float) -> int:
        with self._db.tx() as cur:
            row = cur.execute("SELECT body FROM workers WHERE id = %s FOR UPDATE", (worker_id,)).fetchone()
            if row is None:
                return -1
            record = self._worker(row[0])
            record.last_seen = now
            record.info = {**record.info, **info}
            cur.execute("UPDATE workers SET body = %s WHERE id = %s", (self._encode(record), worker_id))
            cur.execute(
                "UPDATE work_items SET lease_until = %s WHERE worker_id = %s AND state = 'claimed'",
                (lease_until, worker_id),
            )
            return cur.rowcount

    def forget_workers(self, before: float) -> list[WorkerRecord]:
        """Rows a heartbeat is updating are skipped (that heartbeat keeps them). A claim racing the
        delete (by a worker silent for ``forget_after`` yet claiming now) holds a task whose lease
        runs out unrenewed: it is re-queued, as for any worker that vanished."""
        with self._db.tx() as cur:
            rows = cur.execute(
                "SELECT id, body FROM workers w WHERE (convert_from(body, 'UTF8')::jsonb ->> 'last_seen')::float8 < %s"
                " AND NOT EXISTS (SELECT 1 FROM work_items i WHERE i.worker_id = w.id AND i.state = 'claimed')"
                " FOR UPDATE SKIP LOCKED",
                (before,),
            ).fetchall()
            if rows:
                cur.execute("DELETE FROM workers WHERE id = ANY(%s)", ([row[0] for row in rows],))
            return [self._worker(body) for _, body in rows]

    # -- tasks -----------------------------------------------------------------------------------

    def _event(self, cur, item: WorkItem, now: float) -> int:
        cur.execute(
            "INSERT INTO queue_events (task_id, at, body) VALUES (%s, %s, %s) RETURNING seq",
            (item.task_id, now, self._encode(item)),
        )
        return int(cur.fetchone()[0])

    def enqueue(self, item: WorkItem, owner: str, now: float) -> int:
        item = msgspec.structs.replace(item, status="pending", worker_id="")
        with self._db.tx() as cur:
            cur.execute(
                "INSERT INTO work_items (task_id, owner, state, worker_id, lease_until, attempts, created, body)"
                " VALUES (%s, %s, 'pending', '', 0, 0, %s, %s) ON CONFLICT (task_id) DO UPDATE SET"
                " owner = excluded.owner, state = 'pending', worker_id = '', lease_until = 0, attempts = 0,"
                " created = excluded.created, body = excluded.body",
                (item.task_id, owner, now, self._encode(item)),
            )
            return self._event(cur, item, now)

    def claim(self, task_id: str, worker_id: str, lease_until: float) -> WorkItem | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "UPDATE work_items SET state = 'claimed', worker_id = %s, lease_until = %s, attempts = attempts + 1"
                " WHERE task_id = %s AND state = 'pending' RETURNING body, attempts",
                (worker_id, lease_until, task_id),
            ).fetchone()
        if row is None:
            return None
        return msgspec.structs.replace(self._item(row[0]), status="claimed", worker_id=worker_id, attempts=row[1])

    def holder(self, task_id: str) -> tuple[str, str] | None:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT state, worker_id FROM work_items WHERE task_id = %s", (task_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def held_by(self, worker_id: str) -> list[str]:
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT task_id FROM work_items WHERE worker_id = %s AND state = 'claimed' ORDER BY task_id",
                (worker_id,),
            ).fetchall()
        return [row[0] for row in rows]

    def held_counts(self) -> dict[str, int]:
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT worker_id, COUNT(*) FROM work_items WHERE state = 'claimed' GROUP BY worker_id"
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def finish(self, task_id: str, worker_id: str) -> bool:
        with self._db.cursor() as cur:
            cur.execute(
                "UPDATE work_items SET state = 'done', lease_until = 0"
                " WHERE task_id = %s AND worker_id = %s AND state = 'claimed'",
                (task_id, worker_id),
            )
            return cur.rowcount == 1

    def give_back(self, task_id: str, worker_id: str, now: float) -> int | None:
        with self._db.tx() as cur:
            row = cur.execute(
                "UPDATE work_items SET state = 'pending', worker_id = '', lease_until = 0"
                " WHERE task_id = %s AND worker_id = %s AND state = 'claimed' RETURNING body",
                (task_id, worker_id),
            ).fetchone()
            return self._event(cur, self._item(row[0]), now) if row else None

    def expire(self, now: float) -> list[tuple[str, str, int]]:
        with self._db.tx() as cur:
            rows = cur.execute(
                "WITH due AS (SELECT task_id, worker_id FROM work_items WHERE state = 'claimed' AND lease_until < %s"
                " ORDER BY task_id FOR UPDATE SKIP LOCKED)"
                " UPDATE work_items w SET state = 'pending', worker_id = '', lease_until = 0 FROM due"
                " WHERE w.task_id = due.task_id RETURNING due.task_id, due.worker_id, w.body",
                (now,),
            ).fetchall()
            return [(task_id, former, self._event(cur, self._item(body), now)) for task_id, former, body in rows]

    def drop(self, task_id: str) -> str:
        with self._db.tx() as cur:
            row = cur.execute(
                "SELECT worker_id FROM work_items WHERE task_id = %s AND state != 'done' FOR UPDATE", (task_id,)
            ).fetchone()
            cur.execute("UPDATE work_items SET state = 'done', lease_until = 0 WHERE task_id = %s", (task_id,))
            return row[0] if row else ""

    def pending(self, limit: int) -> list[WorkItem]:
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT body FROM work_items WHERE state = 'pending' ORDER BY created, task_id LIMIT %s", (limit,)
            ).fetchall()
        return [self._item(row[0]) for row in rows]

    # -- the event log ---------------------------------------------------------------------------

    def events_after(self, seq: int, limit: int) -> list[QueueEvent]:
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT seq, body FROM queue_events WHERE seq > %s ORDER BY seq LIMIT %s", (seq, limit)
            ).fetchall()
        return [QueueEvent(seq=row[0], task=self._item(row[1])) for row in rows]

    def event_bounds(self) -> tuple[int, int]:
        with self._db.cursor() as cur:
            first, last = cur.execute("SELECT MIN(seq), MAX(seq) FROM queue_events").fetchone()
            if last is None:  # empty: the sequence still remembers the last number it gave out
                value, called = cur.execute("SELECT last_value, is_called FROM queue_events_seq_seq").fetchone()
                last = value if called else 0
                return last + 1, last
        return first, last

    def prune_events(self, keep: int) -> None:
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM queue_events WHERE seq <= (SELECT MAX(seq) FROM queue_events) - %s", (keep,))

    def abandon_open(self) -> int:
        """At a replica's start: drop the open items whose A2A task has ended or is gone. Unlike the
        SQLite store's, not every open item: the others belong to replicas still running."""
        with self._db.cursor() as cur:
            cur.execute(
                "UPDATE work_items w SET state = 'done' WHERE state != 'done' AND NOT EXISTS"
                " (SELECT 1 FROM tasks t WHERE t.id = w.task_id AND t.state = ANY(%s))",
                (_OPEN_TASK_STATES,),
            )
            return cur.rowcount

    def close(self) -> None:
        self._db.close()
