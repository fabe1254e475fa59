"""The default executor runs the real agent loop behind `codetether serve`, against the fake LLM server.

Over JSON-RPC on a real in-process peer: tool calls show up as `working` updates and change real
files, the answer is an artifact, a second message in the same context resumes the same agent
session, and cancelling a task stops the agent while it waits on the model.
"""

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from tests.a2a.agent_peer import start_agent_peer
from tests.fakes.llm import Call, Fault, Reply

TOKEN = "agent-executor-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "A2A-Version": "1.0"}


@pytest.fixture
async def peer(llm, tmp_path, config_file):
    running = await start_agent_peer(llm, tmp_path, config_file, TOKEN, '\n[agent]\naccess_mode = "full"\n')
    yield running
    await running.stop()


async def rpc(session: aiohttp.ClientSession, url: str, method: str, params: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with session.post(url, json=body, headers=HEADERS) as reply:
        return await reply.json()


def message(text: str, **extra) -> dict:
    return {"message": {"messageId": f"m-{text[:8]}", "role": "ROLE_USER", "parts": [{"text": text}], **extra}}


async def test_the_agent_works_streams_progress_and_continues_its_session(peer, llm):
    llm.script(
        Reply(calls=[Call("write_file", {"file_path": "hello.txt", "content": "hi\n"})]),
        Reply(text="Wrote hello.txt."),
        Reply(text="It says hi."),
    )
    url = peer.addresses.http_url + "/"
    async with aiohttp.ClientSession() as session:
        body = {"jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage", "params": message("write hello.txt")}
        events = []
        async with session.post(url, json=body, headers=HEADERS) as reply:
            async for raw in reply.content:
                if raw.startswith(b"data: "):
                    events.append(json.loads(raw[6:])["result"])
        task = events[0]["task"]
        updates = [e["statusUpdate"]["status"] for e in events if "statusUpdate" in e]
        texts = [s.get("message", {}).get("parts", [{}])[0].get("text", "") for s in updates]
        assert any(text.startswith("running write_file") for text in texts), texts
        assert updates[-1]["state"] == "TASK_STATE_COMPLETED"
        artifacts = [e["artifactUpdate"]["artifact"] for e in events if "artifactUpdate" in e]
        assert artifacts[-1]["parts"][0]["text"] == "Wrote hello.txt."
        assert (Path(peer.repo) / "hello.txt").read_text() == "hi\n"

        follow_up = await rpc(session, url, "SendMessage", message("what does it say?", contextId=task["contextId"]))
    # No tool ran in a blocking SendMessage: the plain answer comes back as a message only.
    second = follow_up["result"]["message"]
    assert second["contextId"] == task["contextId"] and second["role"] == "ROLE_AGENT"
    assert second["parts"][0]["text"] == "It says hi." and "taskId" not in second
    # The third model call saw the whole first exchange: the session was resumed, not restarted.
    sent = json.dumps(llm.requests[-1].body["messages"])
    assert "write hello.txt" in sent and "Wrote hello.txt." in sent and "what does it say?" in sent


async def test_cancel_stops_the_agent_while_it_waits_on_the_model(peer, llm):
    llm.script(Fault("hang", seconds=5))  # long enough to cancel; short enough not to slow teardown
    url = peer.addresses.http_url + "/"
    async with aiohttp.ClientSession() as session:
        started = await rpc(
            session, url, "SendMessage", {**message("think hard"), "configuration": {"returnImmediately": True}}
        )
        task_id = started["result"]["task"]["id"]
        for _ in range(200):  # wait until the agent has asked the model
            if llm.requests:
                break
            await asyncio.sleep(0.05)
        assert llm.requests, "the agent never called the model"
        canceled = await asyncio.wait_for(rpc(session, url, "CancelTask", {"id": task_id}), 10)
        assert canceled["result"]["status"]["state"] == "TASK_STATE_CANCELED"
        again = await rpc(session, url, "GetTask", {"id": task_id})
    assert again["result"]["status"]["state"] == "TASK_STATE_CANCELED"
    assert peer.handler._runs.get(task_id) is None  # no work left behind


async def test_an_answer_cut_off_at_the_output_limit_asks_for_input(peer, llm):
    llm.script(*[Reply(text=f"part {i} ", stop="max_tokens") for i in range(4)])  # the nudges did not help
    async with aiohttp.ClientSession() as session:
        sent = await rpc(session, peer.addresses.http_url + "/", "SendMessage", message("write a long essay"))
    task = sent["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert "output limit" in task["status"]["message"]["parts"][0]["text"]
    assert task["artifacts"][0]["parts"][0]["text"] == "part 0 part 1 part 2 part 3 "  # the partial answer is kept


async def test_a_plain_chat_reply_is_a_message_and_the_context_goes_on(peer, llm):
    """The documented rule: a blocking SendMessage with no tool run gets a message only, no task; the
    session is still recorded for the context, and a turn that runs a tool is a task again."""
    llm.script(
        Reply(text="Hello!"),
        Reply(calls=[Call("write_file", {"file_path": "x.txt", "content": "x\n"})]),
        Reply(text="Wrote x.txt."),
    )
    url = peer.addresses.http_url + "/"
    async with aiohttp.ClientSession() as session:
        first = (await rpc(session, url, "SendMessage", message("hi there")))["result"]
        assert list(first) == ["message"] and first["message"]["parts"][0]["text"] == "Hello!"
        context = first["message"]["contextId"]
        assert context and peer.handler.store.list_tasks(context_id=context, page_size=10).total_size == 0
        second = (await rpc(session, url, "SendMessage", message("write x.txt", contextId=context)))["result"]
    task = second["task"]
    assert task["contextId"] == context and task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert task["artifacts"][0]["parts"][0]["text"] == "Wrote x.txt."
    sent = json.dumps(llm.requests[1].body["messages"])  # the second turn resumed the first one's session
    assert "hi there" in sent and "Hello!" in sent


async def test_a_streaming_chat_reply_stays_a_task(peer, llm):
    llm.script(Reply(text="Hello!"))
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage", "params": message("hi")}
    async with (
        aiohttp.ClientSession() as session,
        session.post(peer.addresses.http_url + "/", json=body, headers=HEADERS) as reply,
    ):
        events = [json.loads(raw[6:])["result"] async for raw in reply.content if raw.startswith(b"data: ")]
    assert "task" in events[0]
    assert events[-1]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"
