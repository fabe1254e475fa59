"""Worker reports forwarded between two replicas' queues on one real PostgreSQL (in one process, no
transports): in order, refused when the task ended, abandoned when the queuing replica died."""

import asyncio
import contextlib
import time

import pytest

from codetether.a2a.server.replicas_pg import PgReplicaHub
from codetether.security.principal import ADMIN, token_hash
from codetether.store.postgres import Database
from codetether.worker import errors
from codetether.worker.queue import QueueSettings, Update, WorkQueue
from codetether.worker.relay_pg import PgQueuePeers
from codetether.worker.store_pg import PostgresQueueStore
from codetether.worker.types import (
    ClaimRequest,
    OutputRequest,
    RegisterRequest,
    ReleaseRequest,
    TaskClaimed,
    WorkItem,
)


def item(task_id: str) -> WorkItem:
    return WorkItem(task_id=task_id, context_id="c", prompt=f"do {task_id}")


async def _nothing(task_id: str) -> None:
    return None


class Replica:
    """A hub, a queue and the queue's peers, as ``serve --queue-only`` wires them."""

    def __init__(self, url: str) -> None:
        self.hub = PgReplicaHub(url, heartbeat_seconds=0.2, dead_after=1.0)
        self.queue = WorkQueue(PostgresQueueStore(url), QueueSettings(keepalive_seconds=0.05))
        self.peers = PgQueuePeers(url, self.hub, self.queue, check_seconds=0.1)

    async def start(self) -> "Replica":
        await self.hub.start(_nothing, _nothing)
        self.queue.start()
        return self

    async def stop(self) -> None:
        await self.queue.close()
        await self.hub.stop()
        self.queue.store.close()


class Executor:
    """What ``QueueExecutor`` does with its inbox, recorded: each update applied in turn."""

    def __init__(self, queue: WorkQueue, task_id: str) -> None:
        self.seen: list[tuple[str, str]] = []
        self.inbox = queue.submit(item(task_id), "admin")
        self.job = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            update: Update = await self.inbox.get()
            self.seen.append((update.kind, update.text))
            if update.applied is not None:
                update.applied.set_result(None)
            if update.kind == "release":
                return


@pytest.fixture
async def pair(pg_url):
    a = await Replica(pg_url).start()
    b = await Replica(pg_url).start()
    try:
        yield a, b
    finally:
        await a.stop()
        await b.stop()


def worker(queue: WorkQueue):
    registered = queue.register(ADMIN, RegisterRequest(name="w"))
    return queue.principal_for(token_hash(registered.token))


async def test_reports_through_b_reach_as_executor_in_order_and_the_release_ends_it(pair):
    a, b = pair
    a.hub.claim_run("t1")
    executor = Executor(a.queue, "t1")
    principal = worker(b.queue)
    b.queue.claim(principal, ClaimRequest(task_id="t1"))
    for n in range(20):
        await b.queue.output(principal, "t1", OutputRequest(output=f"chunk {n}"))
    await b.queue.release(principal, ReleaseRequest(task_id="t1", outcome="completed", message="done"))
    await asyncio.wait_for(executor.job, 30)
    assert executor.seen[0] == ("status", f"claimed by worker {principal.worker_id}")
    assert executor.seen[1:] == [("output", f"chunk {n}") for n in range(20)] + [("release", "done")]
    with _db(a.hub.url) as cur:
        assert cur.execute("SELECT COUNT(*) FROM queue_reports").fetchone()[0] == 0  # cleaned up


async def test_a_report_on_a_task_that_ended_on_a_is_refused_with_as_reason(pair):
    a, b = pair
    a.hub.claim_run("t2")
    b.queue.store.enqueue(item("t2"), "admin", time.time())  # queued, but no executor on A any more
    principal = worker(b.queue)
    b.queue.claim(principal, ClaimRequest(task_id="t2"))
    with pytest.raises(errors.Conflict) as refused:
        await b.queue.output(principal, "t2", OutputRequest(output="late"))
    assert refused.value.message == "task t2 is no longer running (it ended)"


async def test_a_report_whose_queuing_replica_dies_before_taking_it_is_abandoned(pair, pg_url):
    _a, b = pair
    # A replica that heartbeated once and then stopped answering (as a kill -9 leaves it).
    with _db(pg_url) as cur:
        now = time.time()
        cur.execute("INSERT INTO replicas (id, started, last_seen) VALUES ('replica-ghost', %s, %s)", (now, now))
        cur.execute("INSERT INTO task_runs (task_id, replica_id, started) VALUES ('t3', 'replica-ghost', %s)", (now,))
    b.queue.store.enqueue(item("t3"), "admin", time.time())
    principal = worker(b.queue)
    b.queue.claim(principal, ClaimRequest(task_id="t3"))
    report = asyncio.create_task(b.queue.output(principal, "t3", OutputRequest(output="unheard")))

    async def waiting() -> None:
        while True:
            with _db(pg_url) as cur:
                if cur.execute("SELECT COUNT(*) FROM queue_reports WHERE task_id = 't3'").fetchone()[0]:
                    return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(waiting(), 30)
    assert not report.done()  # B waits while the ghost still counts as alive
    with _db(pg_url) as cur:
        cur.execute("UPDATE replicas SET last_seen = 0 WHERE id = 'replica-ghost'")
    with pytest.raises(errors.Conflict) as abandoned:
        await asyncio.wait_for(report, 30)
    assert "stopped before taking this report" in abandoned.value.message
    with _db(pg_url) as cur:
        assert cur.execute("SELECT COUNT(*) FROM queue_reports").fetchone()[0] == 0


async def test_a_report_for_a_task_no_live_replica_runs_is_refused_at_once(pair):
    _a, b = pair
    b.queue.store.enqueue(item("t4"), "admin", time.time())
    principal = worker(b.queue)
    b.queue.claim(principal, ClaimRequest(task_id="t4"))
    with pytest.raises(errors.Conflict) as refused:
        await b.queue.output(principal, "t4", OutputRequest(output="x"))
    assert "not running on any live server" in refused.value.message


@contextlib.contextmanager
def _db(url: str):
    db = Database(url)
    try:
        with db.cursor() as cur:
            yield cur
    finally:
        db.close()


class Reader:
    """A worker's task stream read continuously, as the SSE route does (keep-alives dropped)."""

    def __init__(self, queue: WorkQueue, worker_id: str) -> None:
        self.frames: asyncio.Queue = asyncio.Queue()
        self.waiting = asyncio.Event()  # set at the first keep-alive: the stream is open and idle
        self.stream = queue.events(None, worker_id)
        self.job = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.stream:
            if frame is None:
                self.waiting.set()
            else:
                self.frames.put_nowait(frame)

    async def idle(self) -> "Reader":
        await asyncio.wait_for(self.waiting.wait(), 30)
        return self

    async def next(self):
        return await asyncio.wait_for(self.frames.get(), 30)

    async def close(self) -> None:
        self.job.cancel()
        await asyncio.gather(self.job, return_exceptions=True)
        await self.stream.aclose()


async def test_streams_on_b_hear_of_tasks_queued_on_a_with_who_is_asked_first_and_of_claims(pair):
    a, b = pair
    on_b, on_a = worker(b.queue), worker(a.queue)
    stream_b = await Reader(b.queue, on_b.worker_id).idle()
    a.queue.submit(item("t5"), "admin")  # no worker is connected to A: B names its own
    frame = await stream_b.next()
    assert (frame.task.task_id, frame.for_worker) == ("t5", on_b.worker_id)

    stream_a = await Reader(a.queue, on_a.worker_id).idle()
    a.queue.submit(item("t6"), "admin")  # A asks its own connected worker first; B's stream says so
    assert (await stream_a.next()).for_worker == on_a.worker_id
    frame = await stream_b.next()
    assert (frame.task.task_id, frame.for_worker) == ("t6", on_a.worker_id)
    a.queue.claim(on_a, ClaimRequest(task_id="t6"))
    assert await stream_b.next() == TaskClaimed(task_id="t6")  # B's workers stop waiting for it
    await stream_a.close()
    await stream_b.close()
