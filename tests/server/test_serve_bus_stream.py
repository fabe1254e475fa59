"""`codetether serve` mounts the bus stream: A2A task updates are visible live at GET /v1/bus/stream."""

import asyncio
import json

import aiohttp

from codetether.a2a.domain.executor import EchoExecutor
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer

TOKEN = "bus-stream-token-0123456789abcdef"


async def _envelopes(response: aiohttp.ClientResponse, want: int) -> list[dict]:
    found, event = [], None
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "envelope":
            found.append(json.loads(line[6:]))
            if len(found) == want:
                return found
    return found


async def test_task_updates_stream_on_the_bus(tmp_path):
    settings = A2ASection(port=0, grpc_port=0)
    peer = await Peer.start(settings, EchoExecutor(), TokenAuth(TOKEN), audit=AuditLog(tmp_path / "audit"), grpc=False)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with aiohttp.ClientSession(headers=headers) as session:
            url = peer.addresses.http_url
            async with session.get(f"{url}/v1/bus/stream", params={"pattern": "task.*"}) as stream:
                assert stream.status == 200
                reading = asyncio.create_task(_envelopes(stream, 3))
                await asyncio.sleep(0.1)
                body = {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "SendMessage",
                    "params": {"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi bus"}]}},
                }
                async with session.post(f"{url}/", json=body, headers={"A2A-Version": "1.0"}) as reply:
                    task = (await reply.json())["result"]["task"]
                envelopes = await asyncio.wait_for(reading, 10)
    finally:
        await peer.stop()
    assert {e["topic"] for e in envelopes} == {f"task.{task['id']}"}
    kinds = [e["message"]["type"] for e in envelopes]
    assert kinds == ["task_update", "artifact_update", "task_update"]
    assert envelopes[0]["message"]["state"] == "TASK_STATE_SUBMITTED"
    assert envelopes[0]["message"]["message"] == "hi bus"
    assert envelopes[1]["message"]["content"] == "hi bus"
    assert envelopes[2]["message"]["state"] == "TASK_STATE_COMPLETED"


async def test_one_server_per_data_dir(tmp_path):
    import pytest

    from codetether.errors import UsageError

    settings = A2ASection(port=0, grpc_port=0)
    first = await Peer.start(settings, EchoExecutor(), TokenAuth(TOKEN), audit=AuditLog(tmp_path / "a"), grpc=False)
    try:
        with pytest.raises(UsageError, match="another `codetether serve`"):
            await Peer.start(settings, EchoExecutor(), TokenAuth(TOKEN), audit=AuditLog(tmp_path / "b"), grpc=False)
    finally:
        await first.stop()
    second = await Peer.start(settings, EchoExecutor(), TokenAuth(TOKEN), audit=AuditLog(tmp_path / "c"), grpc=False)
    await second.stop()


async def test_rest_query_values_take_their_field_types(tmp_path):
    settings = A2ASection(port=0, grpc_port=0)
    peer = await Peer.start(settings, EchoExecutor(), TokenAuth(TOKEN), audit=AuditLog(tmp_path / "audit"), grpc=False)
    headers = {"Authorization": f"Bearer {TOKEN}", "A2A-Version": "1.0"}
    try:
        async with aiohttp.ClientSession(headers=headers) as session:
            url = peer.addresses.http_url + "/a2a/rest"
            message = {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "n"}], "contextId": "123"}
            async with session.post(url + "/message:send", json={"message": message}) as reply:
                assert reply.status == 200
            async with session.get(url + "/tasks", params={"contextId": "123", "pageSize": "5"}) as reply:
                listed = await reply.json()
            async with session.get(url + "/tasks", params={"pageSize": "²"}) as reply:
                bad = reply.status, await reply.json()
    finally:
        await peer.stop()
    assert [t["contextId"] for t in listed["tasks"]] == ["123"]
    assert bad[0] == 400 and bad[1]["error"]["status"] == "INVALID_ARGUMENT"
