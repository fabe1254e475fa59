"""The queue service, cognition settings and peer discovery in one process (no transports)."""

import asyncio
import socket
import time

import aiohttp
import pytest
from aiohttp import web

from codetether.peers.directory import PeerDirectory, seed_urls
from codetether.security.principal import (
    ADMIN,
    ChainAuthenticator,
    IssuedTokenAuthenticator,
    Principal,
    StaticTokenAuthenticator,
    token_hash,
)
from codetether.worker import errors
from codetether.worker.cognition import CognitionSettings, read_summary
from codetether.worker.queue import QueueSettings, Resync, WorkQueue
from codetether.worker.store import SQLiteQueueStore
from codetether.worker.types import ClaimRequest, RegisterRequest, WorkItem

from .helpers import FakeCognition


def item(n: int) -> WorkItem:
    return WorkItem(task_id=f"t{n}", context_id="c", prompt=f"task {n}")


async def test_a_cursor_older_than_the_replay_window_is_told_to_resync():
    queue = WorkQueue(SQLiteQueueStore(":memory:"), QueueSettings(replay_events=3, keepalive_seconds=0.05))
    for n in range(1, 7):
        queue.submit(item(n), "admin")
    events = queue.events(1)  # 2 and 3 are gone: only 4..6 are kept
    assert await anext(events) == Resync(first=4, last=6)
    assert await anext(events) is None  # resumed from now: a keep-alive, nothing replayed
    await events.aclose()
    events = queue.events(3)  # just inside: everything after it, once
    assert [(await anext(events)).seq for _ in range(3)] == [4, 5, 6]
    queue.submit(item(7), "admin")
    assert (await anext(events)).task.task_id == "t7"  # then live
    await events.aclose()
    future = queue.events(99)  # a cursor from another server's log
    assert isinstance(await anext(future), Resync)
    await future.aclose()


async def test_claims_need_a_worker_token_and_a_live_lease():
    now = [100.0]
    queue = WorkQueue(SQLiteQueueStore(":memory:"), QueueSettings(lease_seconds=10), clock=lambda: now[0])
    registered = queue.register(ADMIN, RegisterRequest(name="w"))
    worker = queue.principal_for(token_hash(registered.token))
    assert worker is not None and worker.worker_id == registered.worker_id and not worker.admin
    assert queue.principal_for(token_hash("ctw_not-issued")) is None
    queue.submit(item(1), "admin")
    with pytest.raises(errors.Forbidden):
        queue.claim(ADMIN, ClaimRequest(task_id="t1"))
    assert queue.claim(worker, ClaimRequest(task_id="t1")).task.worker_id == registered.worker_id
    now[0] += 11
    assert queue.reap() == 1  # no heartbeat within the lease
    assert [i.task_id for i in queue.pending(worker)] == ["t1"]


def test_authenticators_chain_static_admin_then_issued_tokens():
    issued = {token_hash("ctw_abc"): Principal(id="worker:w1", kind="worker", worker_id="w1")}
    chain = ChainAuthenticator(
        [StaticTokenAuthenticator(lambda h: h == "Bearer s3cret-admin-token"), IssuedTokenAuthenticator(issued.get)]
    )
    assert chain.authenticate("Bearer s3cret-admin-token") is ADMIN
    assert chain.authenticate("Bearer ctw_abc").worker_id == "w1"
    assert chain.authenticate("Bearer nope") is None
    assert chain.authenticate("Basic ctw_abc") is None
    assert chain.authenticate("") is None


def test_cognition_settings_read_all_five_variables_with_their_floors():
    assert CognitionSettings.from_environment({}) == CognitionSettings()
    read = CognitionSettings.from_environment(
        {
            "CODETETHER_WORKER_COGNITION_SHARE_ENABLED": "false",
            "CODETETHER_WORKER_COGNITION_SOURCE_URL": "http://127.0.0.1:9/",
            "CODETETHER_WORKER_COGNITION_INCLUDE_THOUGHTS": "0",
            "CODETETHER_WORKER_COGNITION_THOUGHT_MAX_CHARS": "10",
            "CODETETHER_WORKER_COGNITION_TIMEOUT_MS": "5",
        }
    )
    assert read == CognitionSettings(
        enabled=False, source_url="http://127.0.0.1:9", include_thoughts=False, thought_max_chars=120, timeout_ms=250
    )
    odd = CognitionSettings.from_environment({"CODETETHER_WORKER_COGNITION_THOUGHT_MAX_CHARS": "lots"})
    assert odd.thought_max_chars == 480


async def test_cognition_summary_without_thoughts_and_from_a_source_that_hangs():
    source = await FakeCognition("secret thinking").start()
    try:
        async with aiohttp.ClientSession() as session:
            settings = CognitionSettings(source_url=source.url, include_thoughts=False)
            summary = await read_summary(settings, session)
            assert summary.running is True and summary.latest_thought is None
            assert source.requests == ["/v1/cognition/status"]
    finally:
        await source.stop()

    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/v1/cognition/status", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            settings = CognitionSettings(source_url=f"http://127.0.0.1:{port}", timeout_ms=250)
            assert await read_summary(settings, session) is None  # the heartbeat goes on without it
    finally:
        release.set()
        await runner.cleanup()


async def test_an_unreachable_peer_is_retried_with_growing_backoff():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    directory = PeerDirectory(seed_urls([f"{url}/,{url}"], {"CODETETHER_A2A_PEERS": " , http://x.invalid"}))
    assert [p.url for p in directory.known()] == [url, "http://x.invalid"]
    peer = directory.known()[0]
    delays = []
    for _ in range(3):
        before = time.monotonic()
        await directory.check(peer)
        delays.append(peer.next_check - before)
    assert not peer.reachable and peer.failures == 3 and peer.last_error
    assert delays[0] < delays[1] < delays[2]  # 1 s, 2 s, 4 s (each ±20 %)


async def test_each_task_is_meant_for_one_connected_worker_that_can_run_it():
    queue = WorkQueue(SQLiteQueueStore(":memory:"), QueueSettings(keepalive_seconds=0.05))
    ids = []
    for name, modes, slots in (("a", ["agent"], 2), ("b", ["agent"], 2), ("r", ["ralph"], 9)):
        reply = queue.register(ADMIN, RegisterRequest(name=name, capabilities=modes, max_concurrent_tasks=slots))
        ids.append(reply.worker_id)
    a, b, r = ids
    streams = [queue.events(None, worker_id) for worker_id in ids]
    for stream in streams:  # open them: a stream counts once it is being read
        assert await anext(stream) is None
    for n in range(1, 6):
        queue.submit(item(n), "admin")
    seen = [await anext(streams[0]) for _ in range(5)]
    hinted = [event.for_worker for event in seen]
    assert r not in hinted  # it runs ralph tasks only
    assert sorted(hinted[:4]) == sorted([a, a, b, b])  # two free slots each, shared out in turn
    assert hinted[4] in (a, b)  # everyone is full: still one name, so the others wait
    worker = queue.principal_for(token_hash(queue.register(ADMIN, RegisterRequest(name="c")).token))
    queue.claim(worker, ClaimRequest(task_id="t1"))
    assert await anext(streams[1]) == seen[0]  # b's stream: the events first, then the claim notice
    assert [await anext(streams[1]) for _ in range(4)] == seen[1:]
    assert (await anext(streams[1])).task_id == "t1"
    for stream in streams:
        await stream.aclose()
    assert queue._streams == {}
