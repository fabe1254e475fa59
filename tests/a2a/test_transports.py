"""One set of A2A behaviour tests, run once per transport: JSON-RPC, REST and gRPC, each for 1.0 and 0.3.

A real peer (HTTP and gRPC on 127.0.0.1, port 0) runs the scripted test executor for the whole
module; each transport's driver (tests/a2a/drivers.py) writes the wire format by hand. The unknown-
task test is the one place that checks each transport's own error encoding in detail.
"""

import asyncio
import uuid
from typing import NamedTuple

import aiohttp
import pytest
import pytest_asyncio

from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer

from .drivers import TOKEN, TRANSPORTS, CallError, Driver, Event, Push, closing_stream, make_driver, state
from .executors import CHUNKS, ScriptedExecutor

pytestmark = pytest.mark.asyncio(loop_scope="module")
HOOK = "http://127.0.0.1:9/hook"  # never receives: configs here are registered on tasks that already ended


class Server(NamedTuple):
    peer: Peer
    executor: ScriptedExecutor
    session: aiohttp.ClientSession


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("transports")
    executor = ScriptedExecutor()
    settings = A2ASection(port=0, grpc_port=0, allow_private_push_urls=True)
    peer = await Peer.start(
        settings,
        executor,
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp / "tasks.sqlite3"),
        audit=AuditLog(tmp / "audit"),
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield Server(peer, executor, session)
    await peer.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=TRANSPORTS)
async def driver(request, server: Server):
    addresses = server.peer.addresses
    driver = make_driver(request.param, addresses.http_url, addresses.grpc_address, server.session)
    yield driver
    await driver.close()


async def wait_for_state(driver: Driver, task_id: str, *states: str, limit: float = 10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        task = await driver.get(task_id)
        if task.state in states:
            return task
        assert loop.time() < deadline, f"task {task_id} stuck in {task.state}, wanted {states}"
        await asyncio.sleep(0.02)


async def test_blocking_send_completes_with_artifact(driver: Driver):
    task = await driver.send("hello there")
    assert task.state == "completed"
    assert task.artifacts == ["echo: hello there"]
    assert task.status_text == "echo: hello there"
    assert task.history[0] == "hello there"


async def test_non_blocking_send_returns_at_once_then_completes(driver: Driver, server: Server):
    task = await driver.send("slow", blocking=False)
    assert task.state in ("submitted", "working")  # the executor is parked: the send did not wait for it
    await server.executor.slow.wait_started(task.id)
    assert (await driver.get(task.id)).state == "working"
    server.executor.slow.release(task.id)
    done = await wait_for_state(driver, task.id, "completed")
    assert done.artifacts == ["slow done"]


async def test_failing_executor_fails_the_task(driver: Driver):
    task = await driver.send("fail now")
    assert task.state == "failed"
    assert "boom on purpose" in task.status_text


async def test_streaming_order(driver: Driver):
    events = await driver.stream("chunks please")
    assert events[0].kind == "task" and events[0].state in ("submitted", "working")
    task_id = events[0].task_id
    assert {event.task_id for event in events} == {task_id}
    assert [(e.kind, e.state or e.text) for e in events[1:]] == [
        ("status", "working"),
        ("artifact", CHUNKS[0]),
        ("artifact", CHUNKS[1]),
        ("artifact", CHUNKS[2]),
        ("status", "working"),
        ("status", "completed"),
    ]
    artifacts = [e for e in events if e.kind == "artifact"]
    assert [(e.append, e.last_chunk) for e in artifacts] == [(False, False), (True, False), (True, True)]
    final = await driver.get(task_id)
    assert final.state == "completed" and final.artifacts == ["".join(CHUNKS)]


async def test_get_with_history_length(driver: Driver):
    task = await driver.send("chunks for history")
    assert task.state == "completed"
    full = await driver.get(task.id)
    assert full.history == ["chunks for history", "step 1", "step 2"]
    assert (await driver.get(task.id, history_length=1)).history == ["step 2"]
    none = await driver.get(task.id, history_length=0)
    if driver.name == "grpc-0.3":  # 0.3's proto has no presence for history_length: 0 reads as "not set"
        assert none.history == full.history
    else:
        assert none.history == []
    assert (await driver.get(task.id, history_length=5)).history == full.history


async def test_list_pages_and_filters_by_context(driver: Driver):
    context = str(uuid.uuid4())
    sent = [await driver.send(f"listed {i}", context_id=context) for i in range(3)]
    await driver.send("elsewhere")
    assert {task.context_id for task in sent} == {context}
    if driver.version == "0.3":  # spec 0.3 has no ListTasks
        with pytest.raises(CallError) as caught:
            await driver.list_tasks(context_id=context)
        assert caught.value.kind == "MethodNotFound"
        return
    first, token, total = await driver.list_tasks(context_id=context, page_size=2)
    assert total == 3 and len(first) == 2 and token
    second, token2, total2 = await driver.list_tasks(context_id=context, page_size=2, page_token=token)
    assert total2 == 3 and len(second) == 1 and token2 == ""
    listed = [task.id for task in first + second]
    assert listed == [task.id for task in reversed(sent)]  # most recently updated first
    assert all(task.state == "completed" for task in first + second)
    everything, _, total_all = await driver.list_tasks(page_size=100)
    assert total_all > 3 and set(listed) < {task.id for task in everything}


async def test_cancel_running_task_stops_the_executor(driver: Driver, server: Server):
    slow = server.executor.slow
    task = await driver.send("slow", blocking=False)
    await slow.wait_started(task.id)
    canceled = await driver.cancel(task.id)
    assert canceled.id == task.id and canceled.state == "canceled"
    assert slow.canceled[task.id].is_set()  # the executor's cancellation handler ran
    assert (await driver.get(task.id)).state == "canceled"
    slow.release(task.id)  # too late: nothing is waiting any more
    assert (await driver.get(task.id)).state == "canceled"


async def test_cancel_completed_task_is_refused(driver: Driver):
    task = await driver.send("done already")
    with pytest.raises(CallError) as caught:
        await driver.cancel(task.id)
    assert caught.value.kind == "TaskNotCancelable"
    assert (await driver.get(task.id)).state == "completed"


async def test_subscribe_to_running_task_gets_later_updates(driver: Driver, server: Server):
    slow = server.executor.slow
    task = await driver.send("slow", blocking=False)
    await slow.wait_started(task.id)
    events: list[Event] = []
    async with closing_stream(driver.subscribe(task.id)) as stream:
        first = await anext(stream)
        assert first.kind == "task" and first.task_id == task.id and first.state == "working"
        slow.release(task.id)  # the subscription is open: everything from here on must reach it
        async for event in stream:
            events.append(event)
    assert [(e.kind, e.state or e.text) for e in events] == [("artifact", "slow done"), ("status", "completed")]


async def test_subscribe_to_terminal_task_is_refused(driver: Driver):
    task = await driver.send("finished")
    with pytest.raises(CallError) as caught:
        async for _ in driver.subscribe(task.id):
            pass
    assert caught.value.kind == "UnsupportedOperation"


async def test_subscribe_to_waiting_task_follows_it_to_the_end(driver: Driver):
    """Spec 1.0 §3.1.6: the stream ends at a terminal state, so a watcher of an input-required task sees
    the follow-up's updates and the completion, not one snapshot and an early close."""
    task = await driver.send("ask to be watched")
    assert task.state == "input-required"
    async with closing_stream(driver.subscribe(task.id)) as stream:
        first = await anext(stream)
        assert first.kind == "task" and first.task_id == task.id and first.state == "input-required"
        follow = await driver.send("notes.md", task_id=task.id, context_id=task.context_id)
        assert follow.state == "completed"
        events = [event async for event in stream]
    assert [(e.kind, e.state or e.text) for e in events] == [("artifact", "got: notes.md"), ("status", "completed")]


async def test_subscribe_to_waiting_task_ends_when_it_is_canceled(driver: Driver):
    task = await driver.send("ask then cancel")
    async with closing_stream(driver.subscribe(task.id)) as stream:
        assert (await anext(stream)).state == "input-required"
        assert (await driver.cancel(task.id)).state == "canceled"
        events = [event async for event in stream]
    assert [(e.kind, e.state) for e in events] == [("status", "canceled")]


def _reply_message(event: Event) -> dict:
    return event.raw if event.raw.get("kind") == "message" else event.raw["message"]


async def _context_tasks(server: Server, context: str) -> int:
    return server.peer.handler.store.list_tasks(context_id=context, page_size=10).total_size


async def test_message_only_reply_leaves_no_task(driver: Driver, server: Server):
    """Spec 1.0 §3.1.1: the agent MAY answer with a direct Message; then no task exists anywhere."""
    context = str(uuid.uuid4())
    result = await driver.send_result("reply hi", context_id=context)
    assert (result.kind, result.text, result.task_id) == ("message", "reply: reply hi", "")
    message = _reply_message(result)
    assert message["contextId"] == context and state(message["role"]) in ("role-agent", "agent")
    assert await _context_tasks(server, context) == 0


async def test_message_only_reply_streams_one_message(driver: Driver, server: Server):
    """Spec 1.0 §3.1.2: a message-only stream holds exactly one Message and then closes."""
    context = str(uuid.uuid4())
    events = await driver.stream("reply streamed", context_id=context)
    assert [(e.kind, e.text) for e in events] == [("message", "reply: reply streamed")]
    assert _reply_message(events[0])["contextId"] == context
    assert await _context_tasks(server, context) == 0


async def test_return_immediately_gets_a_task_not_a_reply(driver: Driver):
    """The caller asked for the task at once (§3.2.2), so the executor cannot answer with a message only."""
    task = await driver.send("reply later", blocking=False)
    done = await wait_for_state(driver, task.id, "completed")
    assert done.artifacts == ["task: reply later"]


async def test_multi_turn_input_required(driver: Driver):
    task = await driver.send("ask me")
    assert task.state == "input-required" and task.status_text == "which file?"
    follow = await driver.send("src/app.py", task_id=task.id, context_id=task.context_id)
    assert follow.id == task.id and follow.context_id == task.context_id
    assert follow.state == "completed" and follow.artifacts == ["got: src/app.py"]
    assert "ask me" in follow.history and "src/app.py" in follow.history

    other = await driver.send("ask again")
    with pytest.raises(CallError) as mismatch:
        await driver.send("wrong context", task_id=other.id, context_id=str(uuid.uuid4()))
    assert mismatch.value.kind == "InvalidParams"
    assert (await driver.get(other.id)).state == "input-required"  # the refused message changed nothing

    with pytest.raises(CallError) as terminal:
        await driver.send("one more", task_id=task.id)
    assert terminal.value.kind == "UnsupportedOperation"
    assert (await driver.get(task.id)).history == follow.history


async def test_unknown_task_is_task_not_found_in_each_transport_s_encoding(driver: Driver):
    missing = f"no-such-task-{uuid.uuid4()}"
    with pytest.raises(CallError) as caught:
        await driver.get(missing)
    error = caught.value
    assert error.kind == "TaskNotFound"
    raw = error.raw
    if driver.name == "jsonrpc-1.0":
        assert raw["code"] == -32001
        (info,) = raw["data"]
        assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
        assert info["reason"] == "TASK_NOT_FOUND" and info["domain"] == "a2a-protocol.org"
        assert info["metadata"] == {"taskId": missing}
    elif driver.name == "jsonrpc-0.3":
        assert raw["code"] == -32001 and missing in raw["message"] and "data" not in raw
    elif driver.name.startswith("rest-"):
        assert raw["http"] == 404
        body = raw["body"]["error"]
        assert body["code"] == 404 and body["status"] == "NOT_FOUND" and missing in body["message"]
        (info,) = body["details"]
        assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
        assert info["reason"] == "TASK_NOT_FOUND" and info["domain"] == "a2a-protocol.org"
    elif driver.name == "grpc-1.0":
        assert raw["code"] == "NOT_FOUND"
        status, info = raw["status"], raw["info"]
        assert status.code == 5 and status.message == raw["details"]  # the SDK insists they match the call's
        assert info.reason == "TASK_NOT_FOUND" and info.domain == "a2a-protocol.org"
        assert dict(info.metadata) == {"taskId": missing}
    else:
        assert raw["code"] == "NOT_FOUND" and raw["status"] is None
        assert raw["details"].startswith("TaskNotFoundError: ") and missing in raw["details"]
    with pytest.raises(CallError) as cancel:
        await driver.cancel(missing)
    assert cancel.value.kind == "TaskNotFound"


async def test_push_config_create_get_list_delete(driver: Driver):
    task = await driver.send("push target")
    created = await driver.push_create(task.id, Push(url=HOOK, token="tok-1", id="cfg-1"))
    assert (created.id, created.task_id, created.url, created.token) == ("cfg-1", task.id, HOOK, "tok-1")
    second = await driver.push_create(task.id, Push(url=HOOK + "2"))
    assert second.id and second.id != "cfg-1"  # the server names a config sent without an id
    got = await driver.push_get(task.id, "cfg-1")
    assert (got.id, got.url, got.token) == ("cfg-1", HOOK, "tok-1")
    assert sorted(c.id for c in await driver.push_list(task.id)) == sorted(["cfg-1", second.id])
    await driver.push_delete(task.id, "cfg-1")
    assert [c.id for c in await driver.push_list(task.id)] == [second.id]
    with pytest.raises(CallError) as gone:
        await driver.push_get(task.id, "cfg-1")
    assert gone.value.kind == "TaskNotFound"
    with pytest.raises(CallError) as no_task:
        await driver.push_list(f"missing-{uuid.uuid4()}")
    assert no_task.value.kind == "TaskNotFound"


async def test_push_config_delete_is_idempotent(driver: Driver):
    """Spec 1.0 §3.1.10: "multiple deletions of the same config have the same effect" — a repeated
    delete (or one of a config never made) succeeds; only an unknown task is an error."""
    task = await driver.send("push delete twice")
    await driver.push_create(task.id, Push(url=HOOK, id="cfg-twice"))
    await driver.push_delete(task.id, "cfg-twice")
    await driver.push_delete(task.id, "cfg-twice")
    await driver.push_delete(task.id, "never-made")
    assert await driver.push_list(task.id) == []
    with pytest.raises(CallError) as no_task:
        await driver.push_delete(f"missing-{uuid.uuid4()}", "cfg-twice")
    assert no_task.value.kind == "TaskNotFound"


async def test_part_without_content_or_with_two_is_invalid_params(driver: Driver):
    """Spec 1.0 §4.1.6: a part's content is a oneof, exactly one of text, raw, url and data. Protobuf
    keeps at most one by construction (gRPC can only send none); JSON can carry two."""
    good = {"kind": "text", "text": "a"} if driver.name == "jsonrpc-0.3" else {"text": "a"}
    bad: list[dict] = [{}]
    if driver.name in ("jsonrpc-1.0", "rest-1.0"):
        bad += [{"text": "a", "url": "https://example.com/a.txt"}, {"text": "a", "data": {"k": 1}}]
    elif driver.name == "rest-0.3":
        bad += [{"text": "a", "file": {"fileWithUri": "https://example.com/a.txt"}}]
    for part in bad:
        with pytest.raises(CallError) as caught:
            await driver.send("", parts=[good, part])
        assert caught.value.kind == "InvalidParams", part
    assert (await driver.send("", parts=[good])).artifacts == ["echo: a"]


async def test_v03_file_part_with_both_bytes_and_uri_is_invalid_params(driver: Driver):
    """Spec 0.3 §6.5.2: a FilePart's file is FileWithBytes ("'bytes' is present and 'uri' is absent") or
    FileWithUri, never both; one carrying both is refused naming the field, not read as bytes. gRPC
    and 1.0 cannot say both (a protobuf oneof; 1.0 has no file object)."""
    if driver.name == "jsonrpc-0.3":
        both = {"kind": "file", "file": {"bytes": "aGk=", "uri": "https://example.com/a.txt"}}
        good = {"kind": "text", "text": "a"}
    elif driver.name == "rest-0.3":
        both = {"file": {"fileWithBytes": "aGk=", "fileWithUri": "https://example.com/a.txt"}}
        good = {"text": "a"}
    else:
        pytest.skip("only spec 0.3's JSON bindings can carry a file with both bytes and uri")
    with pytest.raises(CallError) as caught:
        await driver.send("", parts=[good, both])
    assert caught.value.kind == "InvalidParams"
    assert "[1].file" in str(caught.value.raw), caught.value.raw  # content[1] in protobuf JSON


async def test_snake_case_field_names_are_accepted_and_camel_case_is_emitted(driver: Driver):
    """ProtoJSON parsers accept the proto field name as well as the JSON name (the reference SDK does):
    snake_case optional fields (``context_id``, ``task_id``, ``history_length``) are read, not dropped."""
    if driver.name.startswith("grpc-"):
        pytest.skip("gRPC carries field numbers, not names")
    context = str(uuid.uuid4())
    first = await driver.send_snake("ask me", context_id=context)
    assert (first.context_id, first.state) == (context, "input-required")
    follow = await driver.send_snake("src/app.py", task_id=first.id, context_id=context, history_length=1)
    assert (follow.id, follow.state, len(follow.history)) == (first.id, "completed", 1)
    assert "contextId" in follow.raw and "context_id" not in follow.raw


async def test_extended_card_needs_auth_and_says_more(driver: Driver, server: Server):
    async with server.session.get(server.peer.addresses.http_url + "/.well-known/agent-card.json") as response:
        assert response.status == 200
        public = await response.json()
    with pytest.raises(CallError) as anonymous:
        await driver.extended_card(token=None)
    assert anonymous.value.kind == "Unauthenticated"
    with pytest.raises(CallError) as wrong:
        await driver.extended_card(token="not-the-token-at-all")
    assert wrong.value.kind == "Unauthenticated"
    extended = await driver.extended_card()
    assert extended["name"] == public["name"]
    public_ids = {skill["id"] for skill in public["skills"]}
    extended_ids = {skill["id"] for skill in extended["skills"]}
    assert public_ids < extended_ids
    assert any(skill_id.startswith("tool.") for skill_id in extended_ids - public_ids)
