"""Two `codetether serve` processes on one real PostgreSQL (`[store] url`): one set of tasks.

A task sent to replica A is read, listed, subscribed to and cancelled through replica B, over each
transport; B's subscriber sees A's events; kill -9 of A loses no acknowledged task (B fails it once
A is silent for the replica timeout).
"""

import asyncio
import os
import signal

import aiohttp
import pytest

from tests.a2a.drivers import GrpcDriver, JsonRpcDriver, RestDriver
from tests.a2a.executors import MARKER_DIR_ENV
from tests.a2a.serve import ServeProcess

REPLICA_TIMEOUT = 3  # seconds of silence before a replica counts as dead (the test's kill -9 waits this out)


@pytest.fixture
async def pair(pg_url, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    env = {
        "CODETETHER_STORE_URL": pg_url,
        "CODETETHER_STORE_REPLICA_TIMEOUT": str(REPLICA_TIMEOUT),
        MARKER_DIR_ENV: str(markers),
    }
    servers = []
    for name in ("a", "b"):
        workdir = tmp_path / name
        workdir.mkdir()
        servers.append(ServeProcess(workdir, extra_env=env))
    await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
    try:
        yield servers[0], servers[1], markers
    finally:
        for server in servers:
            server.kill()


def drivers(server: ServeProcess, session: aiohttp.ClientSession):
    return {
        "jsonrpc": JsonRpcDriver("1.0", server.http_url, session),
        "rest": RestDriver(server.http_url, session),
        "grpc": GrpcDriver("1.0", server.grpc_address),
    }


@pytest.mark.parametrize("transport", ["jsonrpc", "rest", "grpc"])
async def test_a_task_from_a_is_read_listed_subscribed_and_canceled_on_b(pair, transport):
    a, b, markers = pair
    async with aiohttp.ClientSession() as session:
        on_a, on_b = drivers(a, session)[transport], drivers(b, session)[transport]
        try:
            done = await on_a.send("echo over there")
            assert done.state == "completed"
            read = await on_b.get(done.id)
            assert (read.state, read.artifacts) == ("completed", ["echo: echo over there"])
            listed, _, total = await on_b.list_tasks(context_id=done.context_id)
            assert [t.id for t in listed] == [done.id] and total == 1

            slow = await on_a.send("slow", blocking=False)  # runs on A until canceled
            events = on_b.subscribe(slow.id)
            first = await anext(events)
            assert first.kind == "task" and first.task_id == slow.id
            canceled = await on_b.cancel(slow.id)  # B forwards it to A, which runs the task
            assert canceled.state == "canceled"
            rest = [event async for event in events]  # B's stream carries A's last event, then ends
            assert rest[-1].kind == "status" and rest[-1].state == "canceled"
            assert (markers / f"{slow.id}.canceled").exists()  # A's executor really was cancelled
            assert (await on_a.get(slow.id)).state == "canceled"
        finally:
            for driver in (on_a, on_b):
                await driver.close()
    assert a.stop() == 0 and b.stop() == 0


async def test_a_stream_on_b_follows_a_and_kill_9_of_a_loses_no_acknowledged_task(pair):
    a, b, _markers = pair
    async with aiohttp.ClientSession() as session:
        on_a, on_b = JsonRpcDriver("1.0", a.http_url, session), JsonRpcDriver("1.0", b.http_url, session)
        acknowledged = [await on_a.send("slow", blocking=False) for _ in range(3)]
        finished = await on_a.send("echo kept")
        events = on_b.subscribe(acknowledged[0].id)
        assert (await anext(events)).state == "working"
        os.kill(a.proc.pid, signal.SIGKILL)
        a.proc.wait(30)
        async with asyncio.timeout(60):  # B notices A is gone after REPLICA_TIMEOUT and fails A's tasks
            last = [event async for event in events][-1]
        assert last.kind == "status" and last.state == "failed" and "stopped" in last.text
        for task in acknowledged:
            assert (await on_b.get(task.id)).state == "failed"
        assert (await on_b.get(finished.id)).artifacts == ["echo: echo kept"]
        _, _, total = await on_b.list_tasks()
        assert total == 4
    assert b.stop() == 0
