"""Two `serve --queue-only` replicas on one PostgreSQL: one work queue, exactly-once claims across both."""

import asyncio
from pathlib import Path

import aiohttp

from codetether.a2a.client.client import A2AClient
from tests.worker.helpers import TOKEN, start_serve

ADMIN = {"Authorization": f"Bearer {TOKEN}"}
TASKS = 200


async def register(session: aiohttp.ClientSession, url: str, name: str) -> dict[str, str]:
    async with session.post(f"{url}/v1/agent/workers/register", json={"name": name}, headers=ADMIN) as response:
        assert response.status == 201, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_200_tasks_claimed_concurrently_through_both_replicas_have_one_winner_each(pg_url, tmp_path: Path):
    options = ("-o", f"store.url={pg_url}", "-o", "store.replica_timeout=5")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = await asyncio.gather(start_serve(tmp_path / "a", *options), start_serve(tmp_path / "b", *options))
    urls = [a.info["http_url"], b.info["http_url"]]
    try:
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
                async with session.post(
                    f"{url}/v1/worker/tasks/claim", json={"task_id": task_id}, headers=headers
                ) as response:
                    return task_id, response.status

            # Every task claimed at once by all four workers: two through A, two through B.
            results = await asyncio.gather(*(claim(url, h, task_id) for task_id in ids for url, h in workers))
        winners: dict[str, int] = {}
        for task_id, status in results:
            assert status in (200, 409), status
            winners[task_id] = winners.get(task_id, 0) + (status == 200)
        assert winners == dict.fromkeys(ids, 1)
    finally:
        assert await a.stop() == 0
        assert await b.stop() == 0
