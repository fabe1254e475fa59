"""The request handler's lifecycle edges, in process: dropped streams, failing observers, racing
follow-ups, history order, cancel after input-required, numbers no binding can carry."""

import asyncio

import pytest

from codetether.a2a.domain import errors
from codetether.a2a.domain.executor import RequestContext, TaskUpdater
from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.a2a.domain.types import (
    CancelTaskRequest,
    GetTaskRequest,
    Message,
    Part,
    PushConfig,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    SubscribeToTaskRequest,
    TaskState,
)
from codetether.a2a.server.handler import RequestHandler
from codetether.a2a.server.push import PushNotifier, PushSettings

from .executors import ScriptedExecutor


def request(text: str, *, task_id: str = "", blocking: bool = True, push: str = "", **config) -> SendMessageRequest:
    message = Message(message_id=f"m-{text}", role=Role.USER, parts=[Part(text=text)], task_id=task_id)
    push_config = PushConfig(url=push) if push else None
    return SendMessageRequest(
        message=message,
        configuration=SendMessageConfiguration(
            return_immediately=not blocking, task_push_notification_config=push_config, **config
        ),
    )


@pytest.fixture
async def handler(tmp_path):
    store = SQLiteTaskStore(tmp_path / "tasks.sqlite3")
    push = PushNotifier(store, PushSettings(allow_private=True))
    handler = RequestHandler(ScriptedExecutor(), store, push=push)
    yield handler
    await handler.close()
    store.close()


async def test_a_stream_closed_before_it_was_read_leaves_nothing_behind(handler):
    slow = handler.executor.slow
    stream = await handler.on_send_streaming_message(request("slow drop"))
    task_id = next(iter(handler._runs))
    await slow.wait_started(task_id)
    await stream.aclose()  # the client went away before the first event was written
    slow.release(task_id)
    for _ in range(100):
        if task_id not in handler._runs:
            break
        await asyncio.sleep(0.01)
    assert task_id not in handler._runs
    assert (await handler.on_get_task(GetTaskRequest(id=task_id))).status.state is TaskState.COMPLETED


class _BrokenBus:
    def publish(self, *args, **kwargs):
        raise RuntimeError("bus down")


async def test_a_failing_observer_does_not_hang_a_blocking_send(handler):
    handler.bus = _BrokenBus()
    reply = await asyncio.wait_for(handler.on_send_message(request("hello")), 5)
    assert reply.task.status.state is TaskState.COMPLETED


async def test_racing_follow_ups_start_one_run_only(handler):
    asked = await handler.on_send_message(request("ask something"))
    assert asked.task.status.state is TaskState.INPUT_REQUIRED
    follow_ups = [
        handler.on_send_message(request(f"answer {i}", task_id=asked.task.id, push="http://127.0.0.1:9/hook"))
        for i in range(2)
    ]
    results = await asyncio.gather(*follow_ups, return_exceptions=True)
    refused = [r for r in results if isinstance(r, errors.UnsupportedOperationError)]
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) == 1 and len(refused) == 1, results
    history = [m.text() for m in done[0].task.history]
    assert history.count("which file?") == 1


async def test_history_keeps_question_before_answer(handler):
    asked = await handler.on_send_message(request("ask me"))
    answered = await handler.on_send_message(request("file.py", task_id=asked.task.id))
    assert [m.text() for m in answered.task.history] == ["ask me", "which file?", "file.py"]
    assert [m.role for m in answered.task.history] == [Role.USER, Role.AGENT, Role.USER]
    assert answered.task.status.message.text() == "thanks"


class _AsksThenLingers:
    """Ends input-required but keeps running (cleanup work) until cancelled."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        await updater.input_required("need more")
        self.asked.set()
        await asyncio.sleep(60)


async def test_cancel_after_input_required_while_the_job_still_runs(handler):
    lingering = _AsksThenLingers()
    handler.executor = lingering
    started = await handler.on_send_message(request("x", blocking=False))
    await asyncio.wait_for(lingering.asked.wait(), 5)
    canceled = await asyncio.wait_for(handler.on_cancel_task(CancelTaskRequest(id=started.task.id)), 5)
    assert canceled.status.state is TaskState.CANCELED


@pytest.mark.parametrize("metadata", [{"n": 10**400}, {"deep": [{"x": float("inf")}]}, {"nan": float("nan")}])
async def test_numbers_no_binding_can_carry_are_refused(handler, metadata):
    with pytest.raises(errors.InvalidParamsError, match="out of range"):
        await handler.on_send_message(SendMessageRequest(message=request("n").message, metadata=metadata))


async def test_negative_history_length_is_refused(handler):
    with pytest.raises(errors.InvalidParamsError, match="historyLength"):
        await handler.on_send_message(request("h", history_length=-5))


async def test_quiet_streams_yield_heartbeats(handler):
    slow = handler.executor.slow
    stream = await handler.on_send_streaming_message(request("slow beat"))
    stream.heartbeat = 0.05
    first = await stream.__anext__()
    task_id = first.task.id
    await slow.wait_started(task_id)
    seen = [await stream.__anext__() for _ in range(3)]
    assert seen[0].status_update is not None  # "slow started"
    assert None in seen[1:]  # then quiet: heartbeats
    slow.release(task_id)
    await stream.aclose()


async def test_a_message_only_reply_ends_its_job_cleanly_and_leaves_nothing(handler, caplog):
    reply = await handler.on_send_message(request("reply quietly"))
    assert reply.task is None and reply.message is not None and reply.message.text() == "reply: reply quietly"
    jobs = [job for job in asyncio.all_tasks() if job.get_name().startswith("a2a-task-")]
    await asyncio.gather(*jobs)  # the handler must not try to complete (or fail) a task after the reply
    assert not [record for record in caplog.records if "executor failed" in record.getMessage()]
    assert handler._runs == {}
    assert handler.store.list_tasks(page_size=10).total_size == 0


async def test_stopping_the_server_ends_a_stream_watching_a_waiting_task(handler):
    task = (await handler.on_send_message(request("ask and wait"))).task
    stream = await handler.on_subscribe_to_task(SubscribeToTaskRequest(id=task.id))
    assert (await anext(stream)).task.status.state is TaskState.INPUT_REQUIRED
    await handler.close()
    rest = [event async for event in stream]  # before the fix this waited forever
    assert rest == []
