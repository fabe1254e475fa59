"""Worker fleet ↔ ``serve --queue-only`` end to end: real processes on loopback, agents on the fake LLM."""

import asyncio
import json
import re
import signal
from pathlib import Path

import aiohttp

from codetether.a2a.client.client import A2AClient
from codetether.a2a.domain import errors
from codetether.a2a.domain.types import Task, TaskState
from tests.fakes.llm import Call, Fault, Reply

from .helpers import (
    GUARD,
    TOKEN,
    FakeCognition,
    Proc,
    Proxy,
    free_port,
    start_serve,
    start_worker,
    until,
    worker_status,
)


def configure(config_file: Path, llm) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n')


async def finished(client: A2AClient, task_id: str) -> Task:
    """The task once it is terminal, followed over SubscribeToTask (no polling)."""
    try:
        async for _ in client.subscribe(task_id):
            pass
    except errors.UnsupportedOperationError:  # already terminal
        pass
    task = await client.get_task(task_id)
    if not task.status.state.terminal:  # the stream closed at an interrupted state; follow on
        return await finished(client, task_id)
    return task


def texts(task: Task) -> list[str]:
    notes = [m.text() for m in task.history] + ([task.status.message.text()] if task.status.message else [])
    return notes


def answer(task: Task) -> str:
    return "".join(p.text for a in task.artifacts if a.name == "answer" for p in a.parts)


async def test_two_workers_six_tasks_one_killed_mid_task(llm, config_file, tmp_path: Path):
    configure(config_file, llm)
    for n in range(1, 7):
        replies = [Reply(text=f"answer {n}")] * 3  # spares: a re-run after a lost lease gets one too
        first = [Fault("hang", seconds=GUARD)] if n == 3 else []
        llm.route(f"do task-{n} now", *first, *replies)
    work = tmp_path / "ws"
    work.mkdir()
    serve = await start_serve(tmp_path, "-o", "worker.lease_seconds=3", "-o", "worker.heartbeat_seconds=0.5")
    url = serve.info["http_url"]
    options = ["--max-concurrent-tasks", "2", "--auto-approve", "all", "--model", "fake/fake-large"]
    options += ["--poll-seconds", "300"]
    workers = [await start_worker(url, work, name, *options) for name in ("wa", "wb")]
    by_id = {w.info["worker_id"]: w for w in workers}
    try:
        async with await A2AClient.connect(url, token=TOKEN) as client:
            tasks = [await client.send(f"please do task-{n} now", blocking=False) for n in range(1, 7)]
            hung = tasks[2].id

            async def claimer() -> str | None:
                task = await client.get_task(hung)
                for note in texts(task):
                    if m := re.search(r"claimed by worker (\S+)", note):
                        return m.group(1)
                return None

            victim_id = await until(claimer, "task-3 to be claimed")

            async def asked() -> bool:  # its agent is waiting on the model (which hangs for task-3's first call)
                return any("do task-3 now" in json.dumps(r.body) for r in llm.requests)

            await until(asked, "task-3's first model request")
            victim = by_id[victim_id]
            survivor_id = next(i for i in by_id if i != victim_id)
            victim.proc.send_signal(signal.SIGKILL)
            await victim.proc.wait()

            try:
                done = await asyncio.wait_for(asyncio.gather(*(finished(client, t.id) for t in tasks)), GUARD)
            except TimeoutError:
                async with aiohttp.ClientSession() as session:
                    survivor = await worker_status(session, by_id[survivor_id])
                states = [(await client.get_task(t.id)).status.state for t in tasks]
                raise AssertionError(f"not all tasks ended: {states}; the other worker: {survivor}") from None
        assert [t.status.state for t in done] == [TaskState.COMPLETED] * 6
        assert [answer(t) for t in done] == [f"answer {n}" for n in range(1, 7)]
        notes = texts(done[2])
        assert any(f"worker {victim_id} stopped responding; task re-queued" in n for n in notes), notes
        claims = [n for n in notes if n.startswith("claimed by worker")]
        assert claims[0] == f"claimed by worker {victim_id}" and claims[-1] == f"claimed by worker {survivor_id}"
        # The worker's streamed output reached the A2A task as its "output" artifact.
        assert "answer 3" in "".join(p.text for a in done[2].artifacts if a.name == "output" for p in a.parts)
    finally:
        for worker in workers:
            await worker.stop()
        assert await serve.stop() == 0


async def test_a_dropped_task_stream_resumes_from_last_event_id_without_loss_or_duplicates(
    llm, config_file, tmp_path: Path
):
    configure(config_file, llm)
    for n in range(1, 5):
        llm.route(f"do task-{n} now", Reply(text=f"answer {n}"))
    serve = await start_serve(tmp_path)
    proxy = await Proxy(int(serve.info["http_url"].rsplit(":", 1)[1])).start()
    options = ["--auto-approve", "all", "--model", "fake/fake-large", "--poll-seconds", "300"]
    worker = await start_worker(proxy.url, tmp_path, "wr", *options)
    try:
        async with (
            aiohttp.ClientSession() as session,
            await A2AClient.connect(serve.info["http_url"], token=TOKEN) as client,
        ):

            async def ready():
                return (await worker_status(session, worker))["stream_connected"]

            await until(ready, "the worker to follow the task stream")
            first = await client.send("please do task-1 now", blocking=False)
            await finished(client, first.id)
            proxy.cut(refuse=True)  # the stream drops; reconnecting fails until allowed

            async def disconnected():
                return not (await worker_status(session, worker))["stream_connected"]

            await until(disconnected, "the worker to notice the drop")
            later = [await client.send(f"please do task-{n} now", blocking=False) for n in range(2, 5)]
            proxy.allow()
            done = await asyncio.wait_for(asyncio.gather(*(finished(client, t.id) for t in later)), GUARD)
            status = await worker_status(session, worker)
        assert [t.status.state for t in done] == [TaskState.COMPLETED] * 3
        assert status["event_ids"] == [1, 2, 3, 4]  # every task-available event once, in order, over SSE
        assert status["duplicate_events"] == 0 and status["resyncs"] == 0
        assert status["stream_connects"] >= 2
    finally:
        await worker.stop()
        await proxy.stop()
        assert await serve.stop() == 0


async def test_heartbeats_share_cognition_only_when_enabled(tmp_path: Path):
    cognition = await FakeCognition("t" * 1000).start()
    serve = await start_serve(tmp_path)
    url = serve.info["http_url"]
    common = ["--executor", "instant", "--heartbeat-seconds", "0.2"]
    quiet = await start_worker(
        url,
        tmp_path,
        "quiet",
        *common,
        extra_env={
            "CODETETHER_WORKER_COGNITION_SHARE_ENABLED": "false",
            "CODETETHER_WORKER_COGNITION_SOURCE_URL": cognition.url,
        },
    )
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:

            async def beats(name: str, count: int):
                async with session.get(f"{url}/v1/agent/workers") as response:
                    workers = (await response.json())["workers"]
                mine = [w for w in workers if w["name"] == name and w["info"].get("last_heartbeat")]
                status = await worker_status(session, quiet if name == "quiet" else chatty)
                return mine[0]["info"]["last_heartbeat"] if mine and status["heartbeats"] >= count else None

            quiet_beat = await until(lambda: beats("quiet", 3), "three heartbeats from the quiet worker")
            assert quiet_beat["cognition"] is None
            assert cognition.requests == []  # sharing off: the source is never read
            chatty = await start_worker(
                url,
                tmp_path,
                "chatty",
                *common,
                extra_env={
                    "CODETETHER_WORKER_COGNITION_SOURCE_URL": cognition.url,
                    "CODETETHER_WORKER_COGNITION_THOUGHT_MAX_CHARS": "150",
                },
            )
            try:
                beat = await until(lambda: beats("chatty", 2), "heartbeats from the sharing worker")
            finally:
                await chatty.stop()
        shared = beat["cognition"]
        assert shared["running"] is True and shared["active_persona_count"] == 2
        assert len(shared["latest_thought"]) == 150 and shared["latest_thought"].endswith("…")
        assert set(cognition.requests) == {"/v1/cognition/status", "/v1/cognition/snapshots/latest"}
    finally:
        await quiet.stop()
        await cognition.stop()
        assert await serve.stop() == 0


async def test_a_cursor_past_the_replay_window_resyncs_from_the_pending_list(llm, config_file, tmp_path: Path):
    configure(config_file, llm)
    for n in range(1, 6):
        llm.route(f"do task-{n} now", Reply(text=f"answer {n}"))
    serve = await start_serve(tmp_path, "-o", "worker.replay_events=2")
    proxy = await Proxy(int(serve.info["http_url"].rsplit(":", 1)[1])).start()
    options = ["--auto-approve", "all", "--model", "fake/fake-large", "--poll-seconds", "300"]
    worker = await start_worker(proxy.url, tmp_path, "wz", *options)
    try:
        async with (
            aiohttp.ClientSession() as session,
            await A2AClient.connect(serve.info["http_url"], token=TOKEN) as client,
        ):

            async def connected(state: bool):
                return (await worker_status(session, worker))["stream_connected"] is state

            await until(lambda: connected(True), "the worker to follow the task stream")
            await finished(client, (await client.send("please do task-1 now", blocking=False)).id)
            proxy.cut(refuse=True)
            await until(lambda: connected(False), "the worker to notice the drop")
            later = [await client.send(f"please do task-{n} now", blocking=False) for n in range(2, 6)]
            proxy.allow()  # events 2..5 were sent; only 4 and 5 are kept: cursor 1 is too old
            done = await asyncio.wait_for(asyncio.gather(*(finished(client, t.id) for t in later)), GUARD)
            status = await worker_status(session, worker)
        assert [t.status.state for t in done] == [TaskState.COMPLETED] * 4
        assert status["resyncs"] == 1 and status["event_ids"] == [1]  # the rest came from the pending list
    finally:
        await worker.stop()
        await proxy.stop()
        assert await serve.stop() == 0


async def test_heartbeats_name_the_sub_agents_a_task_runs(llm, config_file, tmp_path: Path):
    configure(config_file, llm)
    llm.route("the sub-agent's part", Fault("hang", seconds=GUARD))
    llm.route(
        "do task-parent now",
        Reply(calls=[Call("task", {"description": "part", "prompt": "the sub-agent's part"})]),
    )
    serve = await start_serve(tmp_path, "-o", "worker.heartbeat_seconds=0.2")
    url = serve.info["http_url"]
    worker = await start_worker(url, tmp_path, "wp", "--auto-approve", "all", "--model", "fake/fake-large")
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
            async with await A2AClient.connect(url, token=TOKEN) as client:
                task = await client.send("please do task-parent now", blocking=False)

            async def reported():
                async with session.get(f"{url}/v1/agent/workers") as response:
                    [record] = (await response.json())["workers"]
                beat = record["info"].get("last_heartbeat") or {}
                return beat if beat.get("sub_agents") else None

            beat = await until(reported, "a heartbeat naming the sub-agent")
        [sub] = beat["sub_agents"]
        assert sub.startswith(f"{task.id}/") and beat["active_tasks"] == [task.id] and beat["status"] == "busy"
    finally:
        await worker.stop()
        assert await serve.stop() == 0


async def test_a_worker_rides_out_a_server_restart(llm, config_file, tmp_path: Path):
    configure(config_file, llm)
    llm.route("do task-before now", Reply(text="before"))
    llm.route("do task-after now", Reply(text="after"))
    port = free_port()
    args = ["serve", "--queue-only", "--port", str(port), "--no-grpc", "--json"]
    serve = await Proc.start(args, tmp_path, tmp_path / "serve-1.txt")
    url = serve.info["http_url"]
    worker = await start_worker(url, tmp_path, "wk", "--auto-approve", "all", "--model", "fake/fake-large")
    try:
        async with await A2AClient.connect(url, token=TOKEN) as client:
            first = await finished(client, (await client.send("please do task-before now", blocking=False)).id)
        assert await serve.stop() == 0
        serve = await Proc.start(args, tmp_path, tmp_path / "serve-2.txt")  # same data dir, same port
        async with aiohttp.ClientSession() as session:

            async def back():
                status = await worker_status(session, worker)
                return status["stream_connected"] and status["stream_connects"] >= 2

            await until(back, "the worker to reconnect to the restarted server")
        async with await A2AClient.connect(url, token=TOKEN) as client:
            second = await finished(client, (await client.send("please do task-after now", blocking=False)).id)
        assert [answer(first), answer(second)] == ["before", "after"]
    finally:
        await worker.stop()
        assert await serve.stop() == 0
