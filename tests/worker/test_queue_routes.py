"""The worker routes of ``serve --queue-only`` over real HTTP: registration, tokens, claims, ownership."""

import asyncio
from pathlib import Path

import aiohttp

from codetether.a2a.client.client import A2AClient

from .helpers import TOKEN, start_serve

ADMIN = {"Authorization": f"Bearer {TOKEN}"}


async def register(session: aiohttp.ClientSession, url: str, name: str) -> tuple[str, dict[str, str]]:
    async with session.post(f"{url}/v1/agent/workers/register", json={"name": name}, headers=ADMIN) as response:
        assert response.status == 201, await response.text()
        body = await response.json()
    return body["worker_id"], {"Authorization": f"Bearer {body['token']}"}


async def post(session, url: str, path: str, body: dict, headers: dict) -> tuple[int, dict]:
    async with session.post(url + path, json=body, headers=headers) as response:
        return response.status, await response.json()


async def test_a_hundred_concurrent_claims_of_one_task_have_exactly_one_winner(tmp_path: Path):
    serve = await start_serve(tmp_path)
    url = serve.info["http_url"]
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            workers = await asyncio.gather(*(register(session, url, f"w{i}") for i in range(100)))
            async with await A2AClient.connect(url, token=TOKEN) as client:
                task = await client.send("one task", blocking=False)
            results = await asyncio.gather(
                *(post(session, url, "/v1/worker/tasks/claim", {"task_id": task.id}, h) for _, h in workers)
            )
            statuses = sorted(status for status, _ in results)
            assert statuses == [200] + [409] * 99
            winner = next(body["task"]["worker_id"] for status, body in results if status == 200)
            assert winner in {worker_id for worker_id, _ in workers}
            # The queue says so too, and the task is not pending any more.
            async with session.get(f"{url}/v1/agent/tasks?status=pending", headers=ADMIN) as response:
                assert (await response.json())["tasks"] == []
    finally:
        assert await serve.stop() == 0


async def test_worker_tokens_act_only_as_their_worker(tmp_path: Path):
    serve = await start_serve(tmp_path)
    url = serve.info["http_url"]
    try:
        async with aiohttp.ClientSession() as session:
            (a, token_a), (b, token_b) = [await register(session, url, n) for n in ("a", "b")]
            async with await A2AClient.connect(url, token=TOKEN) as client:
                task = await client.send("do it", blocking=False)
            # A worker token cannot register workers, claim as another worker, or be used by the admin path.
            status, body = await post(session, url, "/v1/agent/workers/register", {"name": "x"}, token_a)
            assert status == 403 and "worker token cannot register" in body["error"]
            status, body = await post(
                session, url, "/v1/worker/tasks/claim", {"task_id": task.id, "worker_id": b}, token_a
            )
            assert status == 403 and f"belongs to worker {a}" in body["error"]
            status, body = await post(session, url, "/v1/worker/tasks/claim", {"task_id": task.id}, ADMIN)
            assert status == 403
            status, _ = await post(session, url, "/v1/worker/tasks/claim", {"task_id": task.id}, token_a)
            assert status == 200
            # Only the holder reports on or releases the task.
            status, body = await post(session, url, f"/v1/agent/tasks/{task.id}/output", {"output": "x"}, token_b)
            assert status == 409 and "does not hold" in body["error"]
            status, _ = await post(session, url, "/v1/worker/tasks/release", {"task_id": task.id}, token_b)
            assert status == 409
            status, _ = await post(session, url, f"/v1/agent/tasks/{task.id}/output", {"output": "half"}, token_a)
            assert status == 200
            status, _ = await post(
                session,
                url,
                "/v1/worker/tasks/release",
                {"task_id": task.id, "outcome": "completed", "message": "all done", "result": "42"},
                token_a,
            )
            assert status == 200
            # Bad input: a clear 400, nothing changed.
            async with session.post(f"{url}/v1/worker/tasks/claim", data=b"{nope", headers=token_a) as response:
                assert response.status == 400 and "invalid request body" in (await response.json())["error"]
            status, body = await post(session, url, "/v1/worker/tasks/claim", {"task_id": "nope"}, token_a)
            assert status == 404
            async with session.get(f"{url}/v1/agent/tasks?status=done", headers=token_a) as response:
                assert response.status == 400
            # The heartbeat path names the worker; another's id is refused.
            status, _ = await post(session, url, f"/v1/agent/workers/{b}/heartbeat", {}, token_a)
            assert status == 403
            status, body = await post(session, url, f"/v1/agent/workers/{a}/heartbeat", {"status": "idle"}, token_a)
            assert status == 200 and body["lease_seconds"] == 90.0
            async with session.post(
                f"{url}/v1/worker/tasks/claim", json={}, headers={"Authorization": "Bearer not-a-token-we-issued"}
            ) as r:
                assert r.status == 401
            # A worker token reaches A2A and the worker routes only; the audit trail names who called.
            async with session.get(f"{url}/v1/audit/events", headers=token_a) as response:
                assert response.status == 403
            async with session.get(f"{url}/v1/audit/events?limit=500", headers=ADMIN) as response:
                actors = {event["actor"].split("@")[0] for event in (await response.json())["events"]}
            assert {f"worker:{a}", f"worker:{b}", "admin"} <= actors
        async with await A2AClient.connect(url, token=TOKEN) as client:
            done = await client.get_task(task.id)
        assert done.status.state.name == "COMPLETED" and done.status.message.text() == "all done"
        artifacts = {a.name: "".join(p.text for p in a.parts) for a in done.artifacts}
        assert artifacts == {"output": "half", "answer": "42"}
    finally:
        assert await serve.stop() == 0


async def test_a_task_the_worker_gives_back_is_claimable_again(tmp_path: Path):
    serve = await start_serve(tmp_path)
    url = serve.info["http_url"]
    try:
        async with aiohttp.ClientSession() as session:
            (_, token_a), (b, token_b) = [await register(session, url, n) for n in ("a", "b")]
            async with await A2AClient.connect(url, token=TOKEN) as client:
                task = await client.send("do it", blocking=False)
            assert (await post(session, url, "/v1/worker/tasks/claim", {"task_id": task.id}, token_a))[0] == 200
            assert (await post(session, url, "/v1/worker/tasks/claim", {"task_id": task.id}, token_b))[0] == 409
            body = {"task_id": task.id, "outcome": "released", "message": "shutting down"}
            assert (await post(session, url, "/v1/worker/tasks/release", body, token_a))[0] == 200
            status, claimed = await post(session, url, "/v1/worker/tasks/claim", {"task_id": task.id}, token_b)
            assert status == 200 and claimed["task"]["worker_id"] == b and claimed["task"]["attempts"] == 2
    finally:
        assert await serve.stop() == 0
