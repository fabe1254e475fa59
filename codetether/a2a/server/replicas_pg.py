"""Replicas on one PostgreSQL: heartbeats, task ownership, events over LISTEN/NOTIFY, orphan reaping.

Every replica heartbeats its row in ``replicas``. Running a task is a row in ``task_runs``, written
before the task's first save, so a task in ``submitted`` or ``working`` whose run row names a
replica silent for ``dead_after`` seconds (or that has no run row at all for as long) was orphaned
by a crash: one survivor at a time (an advisory lock) fails it. Events of running tasks go into
``task_events`` and a ``NOTIFY codetether_task_events`` carries only their sequence number and task
id, so any event size fits and a follower reads what it missed from the table; a cancel for a task
run elsewhere is a ``NOTIFY codetether_cancel`` that its replica answers by cancelling it locally.
Other parts (the worker queue's report relay) listen on their own channels through the same
connection: :meth:`PgReplicaHub.listen`. The reaper also closes the queue items of the tasks it
fails, so no worker claims or reports on a task nobody runs any more.
Writes run inline on the event loop like the store's, without waiting for the disk (see
``__init__``); the listener is one async connection.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

import msgspec

from ...store.postgres import Database
from ..domain.types import StreamResponse, Task, TaskState

log = logging.getLogger(__name__)

EVENTS = "codetether_task_events"
CANCELS = "codetether_cancel"
REAP_LOCK = 0x636F_6465_7265_6170  # one reaper at a time across replicas
EVENT_RETENTION_SECONDS = 600.0
BATCH_SECONDS = 0.001
_RUNNING = (TaskState.SUBMITTED.value, TaskState.WORKING.value)


class PgReplicaHub:
    def __init__(self, url: str, *, heartbeat_seconds: float = 2.0, dead_after: float = 10.0) -> None:
        self.url = url
        self.replica_id = f"replica-{secrets.token_hex(6)}"
        self.heartbeat_seconds = heartbeat_seconds
        self.dead_after = dead_after
        self._db = Database(url, application=f"codetether-{self.replica_id}")
        # Run rows, events and heartbeats need not wait for the disk: after a database crash a lost
        # run row only makes its task look orphaned (it is failed, as it would be anyway), and events
        # are notifications. Tasks themselves are committed by the task store, synchronously.
        with self._db.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
        self._encode = msgspec.json.Encoder().encode
        self._decode = msgspec.json.Decoder(StreamResponse).decode
        self._followers: dict[str, list[tuple[asyncio.Queue, object]]] = {}
        self._cursors: dict[str, int] = {}
        self._tasks: list[asyncio.Task] = []
        self._cancels: set[asyncio.Task] = set()
        self._events: list[tuple[str, float, bytes]] = []
        self._released: list[str] = []
        self._flush_scheduled = False
        self._flush_first: Callable[[], None] | None = None
        self._listening = asyncio.Event()
        self._cancel_local: Callable[[str], Awaitable[None]] | None = None
        self._fail_orphan: Callable[[str], Awaitable[None]] | None = None
        self._channels: dict[str, Callable[[str | None], None]] = {}

    def listen(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(payload)`` for every ``NOTIFY channel`` (before :meth:`start`); and
        ``callback(None)`` each time the listener (re)connects, since notifications sent while it
        was away are lost: the callback catches up from its table then."""
        self._channels[channel] = callback

    # --- lifecycle ---------------------------------------------------------------------------------
    async def start(
        self,
        cancel_local: Callable[[str], Awaitable[None]],
        fail_orphan: Callable[[str], Awaitable[None]],
        flush_first: Callable[[], None] | None = None,
    ) -> None:
        self._cancel_local, self._fail_orphan, self._flush_first = cancel_local, fail_orphan, flush_first
        now = time.time()
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO replicas (id, started, last_seen) VALUES (%s, %s, %s)", (self.replica_id, now, now)
            )
        self._tasks = [
            asyncio.create_task(self._listen(), name="replicas-listen"),
            asyncio.create_task(self._heartbeat(), name="replicas-heartbeat"),
        ]
        await self._listening.wait()
        await self.reap()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.flush()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception), self._db.cursor() as cur:
            cur.execute("DELETE FROM task_runs WHERE replica_id = %s", (self.replica_id,))
            cur.execute("DELETE FROM replicas WHERE id = %s", (self.replica_id,))
        self._db.close()

    # --- the handler's calls -----------------------------------------------------------------------
    def claim_run(self, task_id: str) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO task_runs (task_id, replica_id, started) VALUES (%s, %s, %s) ON CONFLICT (task_id)"
                " DO UPDATE SET replica_id = excluded.replica_id, started = excluded.started",
                (task_id, self.replica_id, time.time()),
            )

    def release_run(self, task_id: str) -> None:
        self._released.append(task_id)
        self._schedule()

    def announce(self, task: Task, event: StreamResponse) -> None:
        self._events.append((task.id, time.time(), self._encode(event)))
        self._schedule()

    def _schedule(self) -> None:
        """Events and releases gather like the task store's saves and go out in one statement."""
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_scheduled = True
        loop.call_later(BATCH_SECONDS, self._flush_soon)

    def _flush_soon(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # kept for the next flush; followers catch up from the table then
            log.error("could not announce %d task event(s) to other replicas: %s", len(self._events), exc)

    def flush(self) -> None:
        """Insert the gathered events, NOTIFY each, drop released run rows: one round trip. The task
        store flushes first, so a follower that hears of an event reads a task at least that new."""
        self._flush_scheduled = False
        if not (self._events or self._released):
            return
        if self._flush_first is not None:
            self._flush_first()
        events, self._events = self._events, []
        released, self._released = self._released, []
        try:
            with self._db.cursor() as cur:
                cur.execute(
                    "WITH added AS (INSERT INTO task_events (task_id, at, body)"
                    " SELECT * FROM unnest(%s::text[], %s::float8[], %s::bytea[]) RETURNING seq, task_id),"
                    " released AS (DELETE FROM task_runs WHERE replica_id = %s AND task_id = ANY(%s::text[]))"
                    " SELECT pg_notify(%s, seq::text || ':' || task_id) FROM added",
                    (
                        [e[0] for e in events],
                        [e[1] for e in events],
                        [e[2] for e in events],
                        self.replica_id,
                        released,
                        EVENTS,
                    ),
                )
        except BaseException:
            self._events = events + self._events
            self._released = released + self._released
            raise

    def follow(self, task_id: str, end: object) -> tuple[asyncio.Queue, Callable[[], None]]:
        queue: asyncio.Queue = asyncio.Queue()
        if task_id not in self._cursors:
            with self._db.cursor() as cur:
                row = cur.execute("SELECT COALESCE(MAX(seq), 0) FROM task_events WHERE task_id = %s", (task_id,))
                self._cursors[task_id] = row.fetchone()[0]
        entry = (queue, end)
        self._followers.setdefault(task_id, []).append(entry)

        def close() -> None:
            followers = self._followers.get(task_id, [])
            if entry in followers:
                followers.remove(entry)
            if not followers:
                self._followers.pop(task_id, None)
                self._cursors.pop(task_id, None)

        return queue, close

    async def remote_cancel(self, task_id: str, timeout: float) -> bool:
        if not self._live_runner(task_id):
            return False
        end = object()
        queue, close = self.follow(task_id, end)
        try:
            with self._db.cursor() as cur:
                cur.execute("SELECT pg_notify(%s, %s)", (CANCELS, task_id))
            async with asyncio.timeout(timeout):
                while await queue.get() is not end:
                    pass
            return True
        finally:
            close()

    # --- background --------------------------------------------------------------------------------
    def _live_runner(self, task_id: str) -> bool:
        runner = self.runner(task_id)
        return runner is not None and runner[1]

    def runner(self, task_id: str) -> tuple[str, bool] | None:
        """``(replica id, alive)`` of the replica running the task, or ``None`` when none does."""
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT r.replica_id, p.last_seen FROM task_runs r LEFT JOIN replicas p ON p.id = r.replica_id"
                " WHERE r.task_id = %s",
                (task_id,),
            ).fetchone()
        if row is None:
            return None
        return row[0], row[1] is not None and row[1] >= time.time() - self.dead_after

    def alive(self, replica_id: str) -> bool:
        """Whether the replica heartbeated within ``dead_after`` seconds."""
        with self._db.cursor() as cur:
            row = cur.execute("SELECT last_seen FROM replicas WHERE id = %s", (replica_id,)).fetchone()
        return row is not None and row[0] >= time.time() - self.dead_after

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {EVENTS}")
                    await conn.execute(f"LISTEN {CANCELS}")
                    for channel in self._channels:
                        await conn.execute(f"LISTEN {channel}")
                    self._catch_up()  # whatever was announced while we were not listening
                    for callback in self._channels.values():
                        callback(None)
                    self._listening.set()
                    async for note in conn.notifies():
                        if note.channel == EVENTS:
                            _, _, task_id = note.payload.partition(":")
                            if task_id in self._followers:
                                self._deliver(task_id)
                        elif note.channel == CANCELS and self._cancel_local is not None:
                            job = asyncio.create_task(self._cancel_local(note.payload), name=f"cancel-{note.payload}")
                            self._cancels.add(job)
                            job.add_done_callback(self._cancels.discard)
                        elif note.channel in self._channels:
                            self._channels[note.channel](note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection dropped: listen again, catching up from the table
                log.warning("replica listener lost its connection (%s); reconnecting", exc)
                await asyncio.sleep(1.0)

    def _catch_up(self) -> None:
        for task_id in list(self._followers):
            self._deliver(task_id)

    def _deliver(self, task_id: str) -> None:
        cursor = self._cursors.get(task_id, 0)
        with self._db.cursor() as cur:
            rows = cur.execute(
                "SELECT seq, body FROM task_events WHERE task_id = %s AND seq > %s ORDER BY seq", (task_id, cursor)
            ).fetchall()
        for seq, body in rows:
            self._cursors[task_id] = seq
            event = self._decode(body)
            done = event.status_update is not None and event.status_update.status.state.terminal
            for queue, end in list(self._followers.get(task_id, [])):
                queue.put_nowait(event)
                if done:
                    queue.put_nowait(end)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                with self._db.cursor() as cur:
                    cur.execute(
                        "INSERT INTO replicas (id, started, last_seen) VALUES (%s, %s, %s)"
                        " ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
                        (self.replica_id, time.time(), time.time()),
                    )
                    cur.execute("DELETE FROM task_events WHERE at < %s", (time.time() - EVENT_RETENTION_SECONDS,))
                    # reports whose relaying replica died before cleaning up after itself
                    cur.execute("DELETE FROM queue_reports WHERE at < %s", (time.time() - EVENT_RETENTION_SECONDS,))
                await self.reap()
            except Exception as exc:  # the database is briefly away: the next beat tries again
                log.warning("replica heartbeat failed: %s", exc)

    async def reap(self) -> int:
        """Fail the tasks of dead replicas (one replica at a time does this); returns how many."""
        now = time.time()
        with self._db.cursor() as cur:
            if not cur.execute("SELECT pg_try_advisory_lock(%s)", (REAP_LOCK,)).fetchone()[0]:
                return 0
        try:
            with self._db.cursor() as cur:
                cur.execute("DELETE FROM replicas WHERE last_seen < %s", (now - 10 * self.dead_after,))
                rows = cur.execute(
                    "SELECT t.id FROM tasks t LEFT JOIN task_runs r ON r.task_id = t.id"
                    " LEFT JOIN replicas p ON p.id = r.replica_id"
                    " WHERE t.state = ANY(%s) AND ((r.task_id IS NULL AND t.updated_ns < %s)"
                    " OR (r.task_id IS NOT NULL AND r.replica_id != %s AND (p.id IS NULL OR p.last_seen < %s)))",
                    (list(_RUNNING), int((now - self.dead_after) * 1e9), self.replica_id, now - self.dead_after),
                ).fetchall()
            for (task_id,) in rows:
                if self._fail_orphan is not None:
                    await self._fail_orphan(task_id)
                with self._db.cursor() as cur:
                    stale = "DELETE FROM task_runs WHERE task_id = %s AND replica_id != %s"
                    cur.execute(stale, (task_id, self.replica_id))
                    # its worker's next report or claim is refused (409): the task is over
                    closed = "UPDATE work_items SET state = 'done', lease_until = 0 WHERE task_id = %s"
                    cur.execute(closed + " AND state != 'done'", (task_id,))
            return len(rows)
        finally:
            with self._db.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (REAP_LOCK,))
