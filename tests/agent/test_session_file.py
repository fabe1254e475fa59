"""The file-backed session: writes leave the event loop, repairs on load, and what a failed run leaves."""

import asyncio
import os
import threading

import pytest

from codetether.agent.session import INTERRUPTED, FileSession, MemorySession, SessionWriteError
from codetether.providers.types import Message, ToolCall, Usage
from tests.fakes.llm import check_invariants


def _openai_body(messages: list[Message]) -> dict:
    """The conversation in the OpenAI shape the fake LLM's invariant check reads."""
    out = []
    for m in messages:
        if m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.tool_call_id})
        elif m.role == "assistant" and m.tool_calls:
            out.append({"role": "assistant", "tool_calls": [{"id": c.id} for c in m.tool_calls]})
        else:
            out.append({"role": m.role})
    return {"messages": out}


async def test_appends_leave_the_event_loop_while_the_file_blocks(tmp_path):
    """The session file is a FIFO nobody reads: opening it blocks the writer until a reader comes."""
    directory = tmp_path / "sessions"
    directory.mkdir()
    session = FileSession.create(tmp_path, "fake/model", directory=directory, system="sys")
    os.mkfifo(session.path)
    received: list[bytes] = []

    def read_fifo() -> None:
        with open(session.path, "rb") as fifo:
            received.append(fifo.read())

    # Only a guard for the failure case (a write on the loop would block it forever): it unblocks
    # the write so the test can fail instead of hanging. The passing run reads the FIFO itself first.
    guard = threading.Timer(30, lambda: received or read_fifo())
    guard.start()
    try:
        session.add(Message.user("hello"), Message.assistant("hi"))
        session.add_usage(Usage(input_tokens=3), "model")
        flushed = asyncio.ensure_future(session.flush())
        other_ran = asyncio.Event()
        asyncio.get_running_loop().call_soon(other_ran.set)
        await other_ran.wait()  # the loop turns while the write is stuck
        for _ in range(20):
            await asyncio.sleep(0)
        assert not flushed.done() and not received  # nobody has read the FIFO: the write is still waiting
        await asyncio.to_thread(read_fifo)
        await flushed
    finally:
        guard.cancel()
    lines = received[0].decode().splitlines()
    assert [line.split('"', 4)[3] for line in lines] == ["meta", "message", "meta", "message", "message", "usage"]


async def test_flush_reports_an_unwritable_sessions_directory(tmp_path):
    (tmp_path / "sessions").write_text("a regular file where the directory should be")
    session = FileSession.create(tmp_path, "m", directory=tmp_path / "sessions", system="sys")
    with pytest.raises(SessionWriteError, match="cannot create the sessions directory .*Not a directory"):
        await session.flush()
    with pytest.raises(SessionWriteError):  # nothing is written after a gap
        session.add(Message.user("x"))


def _killed_mid_tool(tmp_path, *, then: list[Message] = ()) -> FileSession:
    session = FileSession.create(tmp_path, "m", directory=tmp_path / "s", system="sys")
    calls = [ToolCall(id=f"call_{n}", name="bash", arguments="{}") for n in "ab"]
    session.add(Message.user("run it"), Message.assistant("", calls), Message.tool_result(calls[0], "done"))
    if then:
        session.add(*then)
    session.flush_blocking()
    return session


def test_a_loaded_session_answers_the_calls_a_killed_process_left(tmp_path):
    path = _killed_mid_tool(tmp_path).path
    loaded = FileSession.load(path)
    assert [(m.role, m.tool_call_id, m.text) for m in loaded.messages[-2:]] == [
        ("tool", "call_a", "done"),
        ("tool", "call_b", INTERRUPTED),
    ]
    assert check_invariants("openai", _openai_body([*loaded.messages, Message.user("go on")])) == []
    before = path.read_bytes()
    FileSession.load(path)
    assert path.read_bytes() == before  # loading alone writes nothing
    loaded.flush_blocking()
    assert FileSession.load(path).messages == loaded.messages  # the repair is written once, then needs none
    assert path.read_bytes().count(INTERRUPTED.encode()) == 1


def test_a_session_broken_by_earlier_failed_resumes_is_repaired(tmp_path):
    """The old bug's state: each failed resume appended a user turn after the unanswered calls."""
    path = _killed_mid_tool(tmp_path, then=[Message.user("continue"), Message.user("continue")]).path
    loaded = FileSession.load(path)
    roles = [(m.role, m.tool_call_id) for m in loaded.messages]
    assert roles[-4:] == [("tool", "call_a"), ("tool", "call_b"), ("user", None), ("user", None)]
    assert check_invariants("openai", _openai_body(loaded.messages)) == []
    loaded.flush_blocking()
    assert FileSession.load(path).messages == loaded.messages


def test_pending_messages_are_written_only_once_something_follows(tmp_path):
    session = FileSession.create(tmp_path, "m", directory=tmp_path / "s", system="sys")
    session.add(Message.user("first"), Message.assistant("answer"))
    session.flush_blocking()
    before = session.path.read_bytes()
    session.add_pending(Message.user("second"))
    session.flush_blocking()
    assert session.path.read_bytes() == before
    session.discard_pending()
    assert [m.text for m in session.messages] == ["sys", "first", "answer"]
    session.add_pending(Message.user("third"))
    session.add_usage(Usage(output_tokens=1), "m")
    session.flush_blocking()
    assert [m.text for m in FileSession.load(session.path).messages] == ["sys", "first", "answer", "third"]


def test_memory_session_keeps_the_history_and_writes_nothing(tmp_path, data_dir):
    session = MemorySession.create(tmp_path, "m", system="sys")
    session.add_pending(Message.user("question"))
    session.discard_pending()
    session.add_pending(Message.user("question"))
    session.add(Message.assistant("answer"))
    asyncio.run(session.flush())
    assert [m.text for m in session.messages] == ["sys", "question", "answer"]
    assert session.meta.title == "question" and session.id.startswith("mem_")
    assert not data_dir.exists()
