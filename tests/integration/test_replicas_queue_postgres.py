"""Two `serve --queue-only` replicas on one PostgreSQL: one work queue, and a worker may use either.

Claims are exactly-once across both; a worker connected to replica B hears of, claims, reports on
and releases a task sent to replica A, and A2A subscribers on both replicas see what it reported;
kill -9 of A after the claim fails the task cleanly (B's reaper), refusing the worker's next report.
"""

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from codetether.a2a.client.client import A2AClient
from codetether.a2a.domain.types import StreamResponse
from codetether.worker.client import QueueClient, QueueClientError
from codetether.worker.types import Heartbeat, RegisterRequest, ReleaseRequest
from tests.worker.helpers import GUARD, TOKEN, start_serve

ADMIN = {"Authorization": f"Bearer {TOKEN}"}
TASKS = 200
REPLICA_TIMEOUT = 3  # seconds of silence before a replica counts as dead (the kill -9 test waits this out)


async def register(session: aiohttp.ClientSession, url: str, name: str) -> dict[str, str]:
    async with session.post(f"{url}/v1/agent/workers/register", json={"name": name}, headers=ADMIN) as response:
        assert response.status == 201, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['token']}"}


@pytest.fixture
async def replicas(pg_url, tmp_path: Path):
    options = ("-o", f"store.url={pg_url}", "-o", f"store.replica_timeout={REPLICA_TIMEOUT}")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = await asyncio.gather(start_serve(tmp_path / "a", *options), start_serve(tmp_path / "b", *options))
    try:
        yield a, b
    finally:
        for server in (a, b):
            if server.proc.returncode is None:
                server.proc.kill()
                await server.proc.wait()


async def test_200_tasks_claimed_concurrently_through_both_replicas_have_one_winner_each(replicas):
    a, b = replicas
    urls = [a.info["http_url"], b.info["http_url"]]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        # Two workers registered on each replica; a worker's token works on either (one shared table).
        workers = [(url, await register(session, url, f"w{i}-{n}")) for i, url in enumerate(urls) for n in range(2)]
        clients = [await A2AClient.connect(url, token=TOKEN) for url in urls]
        try:
            sent = await asyncio.gather(*(clients[n % 2].send(f"task {n}", blocking=False) for n in range(TASKS)))
        finally:
            for client in clients:
                await client.close()
        ids = [task.id for task in sent]
        async with session.get(f"{urls[1]}/v1/agent/tasks?status=pending", headers=ADMIN) as response:
            pending = {t["task_id"] for t in (await response.json())["tasks"]}
        assert pending == set(ids)  # B lists what A queued, and the reverse

        async def claim(url: str, headers: dict[str, str], task_id: str) -> tuple[str, int]:
            async with session.post(f"{url}/v1/worker/tasks/claim", json={"task_id": task_id}, headers=headers) as r:
                return task_id, r.status

        # Every task claimed at once by all four workers: two through A, two through B.
        results = await asyncio.gather(*(claim(url, h, task_id) for task_id in ids for url, h in workers))
    winners: dict[str, int] = {}
    for task_id, status in results:
        assert status in (200, 409), status
        winners[task_id] = winners.get(task_id, 0) + (status == 200)
    assert winners == dict.fromkeys(ids, 1)
    assert await a.stop() == 0
    assert await b.stop() == 0


class Watch:
    """An A2A subscription read in the background until the task's last event."""

    def __init__(self, client: A2AClient, task_id: str) -> None:
        self.events: list[StreamResponse] = []
        self.first = asyncio.Event()
        self.job = asyncio.create_task(self._read(client, task_id))

    async def _read(self, client: A2AClient, task_id: str) -> None:
        async for event in client.subscribe(task_id):
            self.events.append(event)
            self.first.set()

    async def started(self) -> "Watch":
        async with asyncio.timeout(GUARD):
            await self.first.wait()
        return self

    async def finished(self) -> list[StreamResponse]:
        async with asyncio.timeout(GUARD):
            await self.job
        return self.events

    def output(self) -> str:
        return "".join(
            part.text
            for event in self.events
            if event.artifact_update is not None and event.artifact_update.artifact.name == "output"
            for part in event.artifact_update.artifact.parts
        )

    def last_state(self) -> tuple[str, str]:
        status = self.events[-1].status_update.status
        return status.state.value, status.message.text() if status.message else ""


async def worker_on(session: aiohttp.ClientSession, url: str, name: str) -> tuple[QueueClient, str]:
    reply = await QueueClient(url, TOKEN, session).register(RegisterRequest(name=name))
    return QueueClient(url, reply.token, session), reply.worker_id


async def next_available(frames, task_id: str) -> None:
    """Read the worker's task stream until it offers ``task_id``."""
    async with asyncio.timeout(GUARD):
        async for frame in frames:
            if frame.event == "task.available" and task_id in frame.data:
                return


async def test_a_worker_on_b_hears_of_claims_reports_on_and_releases_a_task_sent_to_a(replicas):
    a, b = replicas
    url_a, url_b = a.info["http_url"], b.info["http_url"]
    async with aiohttp.ClientSession() as session:
        worker, worker_id = await worker_on(session, url_b, "on-b")
        frames = worker.stream(worker_id, "on-b", None)
        assert (await anext(frames)).event == "open"  # connected to B before the task exists
        on_a, on_b = await A2AClient.connect(url_a, token=TOKEN), await A2AClient.connect(url_b, token=TOKEN)
        try:
            task = await on_a.send("count the files", blocking=False)
            watch_a = await Watch(on_a, task.id).started()
            watch_b = await Watch(on_b, task.id).started()
            # A queued it; B's stream offers it (A's NOTIFY woke B's stream).
            await next_available(frames, task.id)
            await frames.aclose()
            claimed = await worker.claim(worker_id, task.id)
            assert claimed is not None and claimed.task.prompt == "count the files"
            beat = await worker.heartbeat(worker_id, Heartbeat(worker_id=worker_id, active_tasks=[task.id]))
            assert (beat.leases_extended, beat.revoked) == (1, [])
            await worker.output(worker_id, task.id, "3 files ")  # through B; A's executor applies it
            await worker.output(worker_id, task.id, "counted")
            await worker.output(worker_id, task.id, "checking twice", kind="status")
            await worker.release(
                ReleaseRequest(task_id=task.id, worker_id=worker_id, outcome="completed", result="3", message="done")
            )
            # Acknowledged means applied: A's task already carries it, read from either replica.
            for client in (on_a, on_b):
                done = await client.get_task(task.id)
                assert done.status.state.value == "TASK_STATE_COMPLETED"
                assert {artifact.name: "".join(p.text for p in artifact.parts) for artifact in done.artifacts} == {
                    "output": "3 files counted",
                    "answer": "3",
                }
            for watch in (watch_a, watch_b):
                await watch.finished()
                assert watch.output() == "3 files counted"
                assert watch.last_state() == ("TASK_STATE_COMPLETED", "done")
                notes = [
                    event.status_update.status.message.text()
                    for event in watch.events
                    if event.status_update is not None and event.status_update.status.message is not None
                ]
                assert f"claimed by worker {worker_id}" in notes and "checking twice" in notes
            # Reports on a finished task are refused by either replica.
            for client in (worker, QueueClient(url_a, worker.token, session)):
                with pytest.raises(QueueClientError) as refused:
                    await client.output(worker_id, task.id, "late")
                assert refused.value.status == 409
        finally:
            await on_a.close()
            await on_b.close()
    assert await a.stop() == 0
    assert await b.stop() == 0


async def test_a_worker_on_b_gives_back_a_task_from_a_and_a_worker_on_a_finishes_it(replicas):
    a, b = replicas
    url_a, url_b = a.info["http_url"], b.info["http_url"]
    async with aiohttp.ClientSession() as session:
        first, first_id = await worker_on(session, url_b, "gives-back")
        second, second_id = await worker_on(session, url_a, "finishes")
        on_b = await A2AClient.connect(url_b, token=TOKEN)
        try:
            task = await on_b.send("give it back", blocking=False)  # queued by B this time
            watch = await Watch(on_b, task.id).started()
            assert await first.claim(first_id, task.id) is not None
            frames = second.stream(second_id, "finishes", None)
            assert (await anext(frames)).event == "open"
            await first.release(ReleaseRequest(task_id=task.id, worker_id=first_id, outcome="released"))
            await next_available(frames, task.id)  # the hand-back through B re-offers it on A's stream
            await frames.aclose()
            assert await second.claim(second_id, task.id) is not None
            await second.output(second_id, task.id, "from A")
            await second.release(ReleaseRequest(task_id=task.id, worker_id=second_id, outcome="failed", message="no"))
            await watch.finished()
            assert watch.output() == "from A"
            assert watch.last_state() == ("TASK_STATE_FAILED", "no")
        finally:
            await on_b.close()
    assert await a.stop() == 0
    assert await b.stop() == 0


async def test_kill_9_of_the_queuing_replica_after_a_claim_fails_the_task_and_refuses_the_worker(replicas):
    a, b = replicas
    url_a, url_b = a.info["http_url"], b.info["http_url"]
    async with aiohttp.ClientSession() as session:
        worker, worker_id = await worker_on(session, url_b, "orphaned")
        on_a, on_b = await A2AClient.connect(url_a, token=TOKEN), await A2AClient.connect(url_b, token=TOKEN)
        try:
            task = await on_a.send("long job", blocking=False)
            watch = await Watch(on_b, task.id).started()
            assert await worker.claim(worker_id, task.id) is not None
            await worker.output(worker_id, task.id, "acknowledged part")  # 200: on A's task, committed
            os.kill(a.proc.pid, signal.SIGKILL)
            await a.proc.wait()
            # B waits for A to answer until A counts as dead, then refuses: the worker stops.
            with pytest.raises(QueueClientError) as refused:
                await worker.output(worker_id, task.id, "never acknowledged")
            assert refused.value.status == 409
            await watch.finished()
            state, text = watch.last_state()
            assert state == "TASK_STATE_FAILED" and "stopped" in text
            failed = await on_b.get_task(task.id)
            assert failed.status.state.value == "TASK_STATE_FAILED"
            assert ["".join(p.text for p in artifact.parts) for artifact in failed.artifacts] == ["acknowledged part"]
            # The queue item was closed with it: not offered again, not releasable.
            assert [t.task_id for t in await worker.pending()] == []
            with pytest.raises(QueueClientError) as closed:
                await worker.release(ReleaseRequest(task_id=task.id, worker_id=worker_id, outcome="completed"))
            assert closed.value.status == 409
        finally:
            with contextlib.suppress(Exception):
                await on_a.close()
            await on_b.close()
    assert await b.stop() == 0
