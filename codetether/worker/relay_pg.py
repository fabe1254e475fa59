"""The work queue across replicas on one PostgreSQL: wake-ups, claim notices, and worker reports
forwarded to the replica whose executor holds the A2A task.

A task queued on replica A is an A2A task whose executor (and its in-memory updater) lives in A, so
only A may change it: a second writer would race A's own saves. A worker may still report through
any replica B. B then writes the report to ``queue_reports`` (naming A), ``NOTIFY
codetether_queue_reports``, and waits. A takes its pending reports (``pending`` -> ``taken``),
puts each on the task through its executor, flushes the task store and the hub's events (so the
update is committed and announced to subscribers on every replica), marks it ``applied`` and
``NOTIFY codetether_queue_acks``; B answers the worker 200 only then. Every state change is a
conditional ``UPDATE`` from ``pending``/``taken``, so each report is answered exactly one way:

* applied: the A2A task carries it (committed before the worker hears 200);
* refused (the task ended on A, e.g. canceled): the worker gets 409 with A's reason;
* abandoned (A stopped heartbeating before applying it): B gets the row first and answers 409. A
  is dead, and the hub's reaper fails its tasks and closes their queue items.

So an acknowledged report is never lost, and an unacknowledged one is never half-reported as done.
Waiting does not depend on a notification arriving: B re-reads the row and A's liveness every
``check_seconds``, and A drains its pending reports each time its listener (re)connects.

Wake-ups: a replica that adds task-available events sends ``NOTIFY codetether_queue`` with each
event's hint (the worker connected there that it asks first, if any), and every other replica wakes
its workers' streams (they read the shared log), naming that worker, or one of its own where the
first replica had none. Claims are announced the same way, so every worker learns that a task it was
offered is gone and stops waiting to claim it late.
"""

import asyncio
import contextlib
import logging
import time

import msgspec

from ..a2a.server.replicas_pg import PgReplicaHub
from ..store.postgres import Database
from . import errors
from .queue import Update, WorkQueue

log = logging.getLogger(__name__)

QUEUE = "codetether_queue"
REPORTS = "codetether_queue_reports"
ACKS = "codetether_queue_acks"
MAX_HINTS = 200  # hints per notification (a NOTIFY payload holds 8000 bytes); more just wake the streams


class _Report(msgspec.Struct):
    kind: str
    text: str = ""
    outcome: str = ""
    result: str = ""


class PgQueuePeers:
    """:class:`~codetether.worker.queue.Peers` over the replica hub's listener and the shared tables."""

    def __init__(self, url: str, hub: PgReplicaHub, queue: WorkQueue, *, check_seconds: float | None = None) -> None:
        self.hub = hub
        self.queue = queue
        self.check_seconds = check_seconds or max(0.2, hub.dead_after / 4)
        self._db = Database(url, application=f"codetether-queue-{hub.replica_id}")
        self._encode = msgspec.json.Encoder().encode
        self._decode = msgspec.json.Decoder(_Report).decode
        self._waiting: dict[int, asyncio.Event] = {}
        self._jobs: set[asyncio.Task] = set()
        self._draining = False
        self._drain_again = False
        hub.listen(QUEUE, self._on_queue)
        hub.listen(REPORTS, self._on_report)
        hub.listen(ACKS, self._on_ack)
        queue.peers = self

    def close(self) -> None:
        for job in list(self._jobs):
            job.cancel()
        self._db.close()

    # -- wake-ups and claim notices ---------------------------------------------------------------

    def _notify(self, channel: str, payload: str) -> None:
        try:
            with self._db.cursor() as cur:
                cur.execute("SELECT pg_notify(%s, %s)", (channel, payload))
        except Exception as exc:  # the others' streams still see it at their next event or keep-alive
            log.warning("could not tell the other replicas (%s): %s", channel, exc)

    def changed(self, hints: list[tuple[int, str]]) -> None:
        listed = ",".join(f"{seq}={worker_id}" for seq, worker_id in hints) if len(hints) <= MAX_HINTS else ""
        self._notify(QUEUE, f"{self.hub.replica_id} event {listed}".rstrip())

    def claimed(self, task_id: str) -> None:
        self._notify(QUEUE, f"{self.hub.replica_id} claimed {task_id}")

    def _on_queue(self, payload: str | None) -> None:
        if payload is None:  # (re)connected: whatever was added meanwhile is in the log
            self.queue.wake()
            return
        origin, _, rest = payload.partition(" ")
        if origin == self.hub.replica_id:
            return
        kind, _, detail = rest.partition(" ")
        if kind == "claimed" and detail:
            self.queue.claimed_elsewhere(detail)
            return
        hints = []
        for entry in filter(None, detail.split(",")):
            seq, _, worker_id = entry.partition("=")
            with contextlib.suppress(ValueError):
                hints.append((int(seq), worker_id))
        self.queue.wake(hints)

    # -- reports: the replica a worker reported to --------------------------------------------------

    async def forward(self, task_id: str, update: Update) -> None:
        await self._answer(task_id, *self._send(task_id, update))

    def tell(self, task_id: str, update: Update) -> None:
        """Sent now (so it is ordered before any later report on the task), answered in the background."""
        try:
            sent = self._send(task_id, update)
        except errors.QueueError as exc:
            log.info("note on task %s not shown (%s): %s", task_id, update.text, exc.message)
            return
        except Exception as exc:
            log.warning("note on task %s not shown: %s", task_id, exc)
            return

        async def answer() -> None:
            try:
                await self._answer(task_id, *sent)
            except errors.QueueError as exc:
                log.info("note on task %s not shown (%s): %s", task_id, update.text, exc.message)
            except Exception as exc:
                log.warning("note on task %s not shown: %s", task_id, exc)

        self._spawn(answer(), f"tell-{task_id}")

    def _send(self, task_id: str, update: Update) -> tuple[int, str, asyncio.Event]:
        runner = self.hub.runner(task_id)
        if runner is None or not runner[1]:
            raise errors.Conflict(f"task {task_id} is not running on any live server (the one that queued it stopped)")
        owner = runner[0]
        if owner == self.hub.replica_id:  # ours, yet no executor here: it has just ended
            raise errors.Conflict(f"task {task_id} is no longer running (it ended)")
        body = self._encode(_Report(update.kind, update.text, update.outcome, update.result))
        with self._db.cursor() as cur:
            report = cur.execute(
                "INSERT INTO queue_reports (task_id, replica_id, at, body) VALUES (%s, %s, %s, %s) RETURNING id",
                (task_id, owner, time.time(), body),
            ).fetchone()[0]
            woken = asyncio.Event()
            self._waiting[report] = woken
            cur.execute("SELECT pg_notify(%s, %s)", (REPORTS, f"{report}:{owner}"))
        return report, owner, woken

    async def _answer(self, task_id: str, report: int, owner: str, woken: asyncio.Event) -> None:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), self.check_seconds)
                woken.clear()
                with self._db.cursor() as cur:
                    state, error = cur.execute(
                        "SELECT state, error FROM queue_reports WHERE id = %s", (report,)
                    ).fetchone()
                if state == "applied":
                    return
                if state == "refused":
                    raise errors.Conflict(error)
                if not self.hub.alive(owner):
                    with self._db.cursor() as cur:
                        cur.execute(
                            "UPDATE queue_reports SET state = 'abandoned'"
                            " WHERE id = %s AND state IN ('pending', 'taken')",
                            (report,),
                        )
                        abandoned = cur.rowcount == 1
                    if abandoned:
                        log.warning("server %s stopped before applying a report on task %s; refused", owner, task_id)
                        raise errors.Conflict(
                            f"the server running task {task_id} stopped before taking this report; the task is failed"
                        )
                    # it answered just in time: the next pass reads how
        finally:
            self._waiting.pop(report, None)
            with contextlib.suppress(Exception), self._db.cursor() as cur:
                cur.execute("DELETE FROM queue_reports WHERE id = %s", (report,))

    def _on_ack(self, payload: str | None) -> None:
        if payload is None:  # (re)connected: every waiter re-reads its row
            for woken in self._waiting.values():
                woken.set()
            return
        with contextlib.suppress(ValueError):
            woken = self._waiting.get(int(payload))
            if woken is not None:
                woken.set()

    # -- reports: the replica that queued the task --------------------------------------------------

    def _spawn(self, coro, name: str) -> None:
        job = asyncio.get_running_loop().create_task(coro, name=name)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    def _on_report(self, payload: str | None) -> None:
        if payload is not None and payload.partition(":")[2] != self.hub.replica_id:
            return
        if self._draining:  # the running drain takes it on its next pass
            self._drain_again = True
            return
        self._draining = True
        self._spawn(self._drain(), "queue-reports")

    async def _drain(self) -> None:
        """Take every pending report for this replica, oldest first, and apply each in its own task
        (started in order, so one task's reports reach its executor's inbox in order)."""
        try:
            while True:
                self._drain_again = False
                try:
                    with self._db.cursor() as cur:
                        rows = cur.execute(
                            "UPDATE queue_reports SET state = 'taken' WHERE replica_id = %s AND state = 'pending'"
                            " RETURNING id, task_id, body",
                            (self.hub.replica_id,),
                        ).fetchall()
                except Exception as exc:  # the database is briefly away: the waiters re-check
                    log.warning("could not read forwarded worker reports: %s", exc)
                    return
                for report, task_id, body in sorted(rows):
                    self._spawn(self._apply(report, task_id, self._decode(body)), f"report-{report}")
                if not self._drain_again:
                    return
        finally:
            self._draining = False

    async def _apply(self, report: int, task_id: str, body: _Report) -> None:
        state, error = "applied", ""
        try:
            await self.queue.apply(task_id, Update(body.kind, body.text, body.outcome, body.result))
            self.hub.flush()  # committed and announced before the worker hears 200
        except errors.QueueError as exc:
            state, error = "refused", exc.message
        except Exception as exc:
            log.exception("forwarded report %d on task %s failed", report, task_id)
            state, error = "refused", f"the server running task {task_id} could not apply the report: {exc}"
        while True:  # the relaying replica waits for this answer as long as we are alive
            try:
                with self._db.cursor() as cur:
                    cur.execute(
                        "UPDATE queue_reports SET state = %s, error = %s WHERE id = %s AND state = 'taken'",
                        (state, error, report),
                    )
                    cur.execute("SELECT pg_notify(%s, %s)", (ACKS, str(report)))
                return
            except Exception as exc:  # the database is briefly away
                log.warning("could not answer forwarded report %d on task %s (retrying): %s", report, task_id, exc)
                await asyncio.sleep(self.check_seconds)
