"""Worker records whose heartbeats stopped are forgotten (``[worker] forget_after_seconds``), on SQLite
and PostgreSQL; a forgotten worker that comes back gets 401 and registers again by itself."""

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from codetether.a2a.client.client import A2AClient
from codetether.security.principal import ADMIN, token_hash
from codetether.worker import errors
from codetether.worker.queue import QueueSettings, WorkQueue
from codetether.worker.store import SQLiteQueueStore, WorkerRecord
from codetether.worker.types import ClaimRequest, Heartbeat, RegisterRequest, WorkItem

from .helpers import TOKEN, start_serve, start_worker, until, worker_status


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path: Path):
    if request.param == "sqlite":
        made = SQLiteQueueStore(tmp_path / "queue.sqlite3")
    else:
        from codetether.worker.store_pg import PostgresQueueStore

        made = PostgresQueueStore(request.getfixturevalue("pg_url"))
    yield made
    made.close()


def record(worker_id: str, last_seen: float) -> WorkerRecord:
    return WorkerRecord(worker_id=worker_id, name=worker_id, owner="admin", registered_at=0.0, last_seen=last_seen)


def test_only_silent_workers_holding_nothing_are_forgotten(store):
    store.add_worker(record("old", 10.0), "h-old")
    store.add_worker(record("busy", 10.0), "h-busy")
    store.add_worker(record("fresh", 10.0), "h-fresh")
    store.enqueue(WorkItem(task_id="t1", context_id="c", prompt="p"), "admin", 10.0)
    assert store.claim("t1", "busy", lease_until=1000.0) is not None
    assert store.touch_worker("fresh", {}, now=95.0, lease_until=200.0) == 0
    assert store.forget_workers(before=90.0) == [record("old", 10.0)]
    assert [r.worker_id for r in store.list_workers()] == ["busy", "fresh"]
    assert store.worker_by_token("h-old") is None  # its token no longer authenticates
    assert store.forget_workers(before=90.0) == []
    assert store.finish("t1", "busy")  # once it holds nothing, it goes too
    assert [r.worker_id for r in store.forget_workers(before=90.0)] == ["busy"]


async def test_the_reaper_forgets_a_silent_worker_and_it_registers_again(caplog):
    now = [1000.0]
    queue = WorkQueue(SQLiteQueueStore(":memory:"), QueueSettings(forget_after=60.0), clock=lambda: now[0])
    first = queue.register(ADMIN, RegisterRequest(name="laptop"))
    principal = queue.principal_for(token_hash(first.token))
    now[0] += 59.0
    queue.reap()
    assert queue.heartbeat(principal, first.worker_id, Heartbeat()).leases_extended == 0  # still known
    now[0] += 61.0
    with caplog.at_level("WARNING", logger="codetether.worker.queue"):
        queue.reap()
    assert f"forgot worker {first.worker_id} (laptop): no heartbeat for 61 s" in caplog.text
    assert queue.principal_for(token_hash(first.token)) is None  # its token is refused (401)
    with pytest.raises(errors.NotFound):
        queue.heartbeat(principal, first.worker_id, Heartbeat())
    assert queue.workers(ADMIN) == []
    again = queue.register(ADMIN, RegisterRequest(name="laptop"))
    queue.submit(WorkItem(task_id="t1", context_id="c", prompt="p"), "admin")
    claimed = queue.claim(queue.principal_for(token_hash(again.token)), ClaimRequest(task_id="t1"))
    assert claimed.task.worker_id == again.worker_id
    await queue.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_stopped_worker_is_forgotten_and_re_registers_when_it_resumes(request, backend, tmp_path: Path):
    options = ["-o", "worker.forget_after_seconds=1"]
    if backend == "postgres":
        options += ["-o", f"store.url={request.getfixturevalue('pg_url')}", "-o", "store.replica_timeout=3"]
    serve = await start_serve(tmp_path, *options)
    url = serve.info["http_url"]
    worker = await start_worker(url, tmp_path, "napper", "--executor", "instant", "--heartbeat-seconds", "0.2")
    try:
        async with aiohttp.ClientSession() as session:
            admin = {"Authorization": f"Bearer {TOKEN}"}

            async def registered() -> list[str]:
                async with session.get(f"{url}/v1/agent/workers", headers=admin) as response:
                    return [w["worker_id"] for w in (await response.json())["workers"]]

            async def ready():
                status = await worker_status(session, worker)
                return status["worker_id"] if status["registered"] and status["stream_connected"] else None

            first = await until(ready, "the worker to register")
            os.kill(worker.proc.pid, signal.SIGSTOP)  # alive but silent: no heartbeats
            try:
                await until(lambda: _without(registered, first), "the server to forget the silent worker")
            finally:
                os.kill(worker.proc.pid, signal.SIGCONT)

            async def again():
                status = await worker_status(session, worker)
                return status["worker_id"] if status["registered"] and status["worker_id"] != first else None

            second = await until(again, "the worker to register again")
            assert await registered() == [second]
            assert f"forgot worker {first} (napper)" in serve.stderr()
            assert f"registered again as {second} (was {first})" in worker.stderr()
            async with await A2AClient.connect(url, token=TOKEN) as client:  # and it works as before
                task = await client.send("after the nap", blocking=False)
                async with asyncio.timeout(60):
                    async for event in client.subscribe(task.id):
                        last = event
            status = last.status_update.status if last.status_update else last.task.status
            assert status.state.value == "TASK_STATE_COMPLETED"
    finally:
        await worker.stop()
        assert await serve.stop() == 0


async def _without(registered, worker_id: str) -> bool:
    return worker_id not in await registered()
