"""Tasks belong to the principal that created them: another token cannot see, cancel or follow them,
over JSON-RPC, REST and gRPC (spec 1.0, and 0.3 where it has the operation). The admin sees all."""

from pathlib import Path

import aiohttp
import pytest

from codetether.a2a.client.client import A2AClient
from codetether.a2a.domain import errors
from tests.worker.helpers import TOKEN, start_serve
from tests.worker.test_queue_routes import register


@pytest.fixture
async def served(tmp_path: Path):
    serve = await start_serve(tmp_path)
    url = serve.info["http_url"]
    async with aiohttp.ClientSession() as session:
        (alice_worker, alice), (_, bob) = [await register(session, url, n) for n in ("alice", "bob")]
    serve.info["alice"] = alice_worker
    yield serve, alice["Authorization"].split()[1], bob["Authorization"].split()[1]
    assert await serve.stop() == 0


def alice_id(served) -> str:
    return served[0].info["alice"]


@pytest.mark.parametrize(
    ("transport", "version"), [("jsonrpc", "1.0"), ("jsonrpc", "0.3"), ("grpc", "1.0"), ("grpc", "0.3")]
)
async def test_another_token_cannot_see_cancel_or_subscribe(served, transport, version):
    serve, alice, bob = served
    url = serve.info["http_url"]
    connect = dict(transport=transport, version=version)
    async with await A2AClient.connect(url, token=alice, **connect) as mine:
        task = await mine.send("alice's task", blocking=False)
        assert (await mine.get_task(task.id)).id == task.id
    async with await A2AClient.connect(url, token=bob, **connect) as theirs:
        with pytest.raises(errors.TaskNotFoundError):
            await theirs.get_task(task.id)
        with pytest.raises(errors.TaskNotFoundError):
            await theirs.cancel(task.id)
        with pytest.raises(errors.TaskNotFoundError):
            async for _ in theirs.subscribe(task.id):
                pass
        if version == "1.0":
            assert (await theirs.list_tasks()).tasks == []
        with pytest.raises(errors.TaskNotFoundError):  # nor continue it
            await theirs.send("hijack", task_id=task.id, blocking=False)
    async with await A2AClient.connect(url, token=TOKEN, **connect) as admin:
        assert (await admin.get_task(task.id)).id == task.id
        if version == "1.0":
            assert [t.id for t in (await admin.list_tasks()).tasks] == [task.id]
        assert (await admin.cancel(task.id)).status.state.name == "CANCELED"
    # The audit trail names who called, over this transport.
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session,
        session.get(f"{url}/v1/audit/events?limit=1000") as response,
    ):
        actors = {event["actor"] for event in (await response.json())["events"]}
    via = "grpc" if transport == "grpc" else "http"
    assert {actor.split("@")[0] for actor in actors if f"@{via}:" in actor} >= {"admin", "worker:" + alice_id(served)}


async def test_rest_scopes_tasks_too(served):
    serve, alice, bob = served
    base = serve.info["http_url"] + "/a2a/rest"

    def headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "A2A-Version": "1.0"}

    body = {
        "message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "alice's task"}]},
        "configuration": {"returnImmediately": True},
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/message:send", json=body, headers=headers(alice)) as response:
            assert response.status == 200, await response.text()
            task_id = (await response.json())["task"]["id"]
        for method, path in (
            ("GET", f"/tasks/{task_id}"),
            ("POST", f"/tasks/{task_id}:cancel"),
            ("POST", f"/tasks/{task_id}:subscribe"),
            ("GET", f"/tasks/{task_id}/pushNotificationConfigs"),
        ):
            async with session.request(method, base + path, json={}, headers=headers(bob)) as response:
                assert response.status == 404, (path, await response.text())
        async with session.get(f"{base}/tasks", headers=headers(bob)) as response:
            assert (await response.json())["tasks"] == []
        async with session.get(f"{base}/tasks", headers=headers(alice)) as response:
            assert [t["id"] for t in (await response.json())["tasks"]] == [task_id]
        async with session.get(f"{base}/tasks/{task_id}", headers=headers(TOKEN)) as response:
            assert response.status == 200


async def test_tenant_is_part_of_a_tasks_address(served):
    serve, alice, _ = served
    url = serve.info["http_url"]
    rpc = {"Authorization": f"Bearer {alice}", "A2A-Version": "1.0"}

    async def call(session, method: str, params: dict) -> dict:
        envelope = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        async with session.post(url, json=envelope, headers=rpc) as response:
            return await response.json()

    async with aiohttp.ClientSession() as session:
        sent = await call(
            session,
            "SendMessage",
            {
                "tenant": "acme",
                "message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "for acme"}]},
                "configuration": {"returnImmediately": True},
            },
        )
        task_id = sent["result"]["task"]["id"]
        assert "result" in await call(session, "GetTask", {"id": task_id, "tenant": "acme"})
        assert (await call(session, "GetTask", {"id": task_id}))["error"]["code"] == -32001
        assert (await call(session, "GetTask", {"id": task_id, "tenant": "other"}))["error"]["code"] == -32001
        listed = await call(session, "ListTasks", {"tenant": "acme"})
        assert [t["id"] for t in listed["result"]["tasks"]] == [task_id]
        assert (await call(session, "ListTasks", {}))["result"]["tasks"] == []
