"""Tasks outlive the process: `codetether serve` stopped (SIGTERM, or killed) and started on the same data dir."""

import asyncio
import signal

import aiohttp
import pytest

from .drivers import Driver, GrpcDriver, JsonRpcDriver, RestDriver
from .executors import CHUNKS, MARKER_DIR_ENV
from .serve import ServeProcess


async def wait_for_state(driver: Driver, task_id: str, *states: str, limit: float = 15.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while (task := await driver.get(task_id)).state not in states:
        assert loop.time() < deadline, f"task {task_id} stuck in {task.state}"
        await asyncio.sleep(0.02)
    return task


@pytest.fixture
def markers(tmp_path):
    path = tmp_path / "markers"
    path.mkdir()
    return path


async def test_tasks_survive_a_sigterm_restart_and_running_work_ends_canceled(tmp_path, markers):
    serve = ServeProcess(tmp_path, extra_env={MARKER_DIR_ENV: str(markers)}).start()
    try:
        async with aiohttp.ClientSession() as session:
            client = JsonRpcDriver("1.0", serve.http_url, session)
            echo = await client.send("hello before the restart")
            chunks = await client.send("chunks")
            ask = await client.send("ask")
            slow = await client.send("slow", blocking=False)
            await wait_for_state(client, slow.id, "working")
            assert (echo.state, chunks.state, ask.state) == ("completed", "completed", "input-required")
        assert serve.stop(signal.SIGTERM) == 0, serve.stderr()
    finally:
        serve.kill()
    assert (markers / f"{slow.id}.canceled").exists()  # the executor saw the cancellation before the exit

    again = ServeProcess(tmp_path, extra_env={MARKER_DIR_ENV: str(markers)}).start()
    grpc_client = GrpcDriver("1.0", again.grpc_address)
    try:
        async with aiohttp.ClientSession() as session:
            client = JsonRpcDriver("1.0", again.http_url, session)
            got = await client.get(echo.id)
            assert got.state == "completed" and got.artifacts == ["echo: hello before the restart"]
            assert got.history == ["hello before the restart"]
            over_grpc = await grpc_client.get(chunks.id)
            assert over_grpc.state == "completed" and over_grpc.artifacts == ["".join(CHUNKS)]
            over_rest = await RestDriver(again.http_url, session).get(chunks.id)
            assert over_rest.history == ["chunks", "step 1", "step 2"]

            stopped = await client.get(slow.id)
            assert stopped.state == "canceled", stopped  # not left "working" with no work behind it

            listed, _, total = await client.list_tasks(page_size=100)
            assert total == 4 and {t.id for t in listed} == {echo.id, chunks.id, ask.id, slow.id}
            by_id = {t.id: t for t in listed}
            assert by_id[echo.id].state == "completed" and by_id[slow.id].state == "canceled"

            # the conversation waiting for input goes on in the new process
            assert (await client.get(ask.id)).state == "input-required"
            answered = await client.send("README.md", task_id=ask.id, context_id=ask.context_id)
            assert answered.state == "completed" and answered.artifacts == ["got: README.md"]
        assert again.stop() == 0, again.stderr()
    finally:
        await grpc_client.close()
        again.kill()


async def test_work_cut_off_by_a_kill_is_marked_failed_on_the_next_start(tmp_path, markers):
    serve = ServeProcess(tmp_path, extra_env={MARKER_DIR_ENV: str(markers)}).start()
    try:
        async with aiohttp.ClientSession() as session:
            client = JsonRpcDriver("1.0", serve.http_url, session)
            done = await client.send("finished before the kill")
            slow = await client.send("slow", blocking=False)
            await wait_for_state(client, slow.id, "working")
        assert serve.stop(signal.SIGKILL) == -signal.SIGKILL
    finally:
        serve.kill()
    assert not (markers / f"{slow.id}.canceled").exists()  # no chance to clean up: the process just died

    again = ServeProcess(tmp_path).start()
    try:
        async with aiohttp.ClientSession() as session:
            client = JsonRpcDriver("0.3", again.http_url, session)
            assert (await client.get(done.id)).artifacts == ["echo: finished before the kill"]
            failed = await client.get(slow.id)
            assert failed.state == "failed" and "restarted" in failed.status_text
        assert again.stop() == 0, again.stderr()
    finally:
        again.kill()
