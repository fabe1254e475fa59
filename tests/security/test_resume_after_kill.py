"""A session killed (kill -9) anywhere around a tool call resumes; so does one an A2A context holds.

The kill points are found by events, not timing: the ``tool_call`` event line, the command itself
writing its shell's pid into a FIFO the test reads, and the fake LLM receiving the request that
carries the tool's result. After each, ``codetether run -c`` must succeed, and the fake LLM checks
that every tool call in the resumed conversation has its answer.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from codetether.agent.session import INTERRUPTED, FileSession, find_session
from codetether.providers.types import Message, ToolCall
from tests.fakes.llm import Call, FakeLLM, Fault, Reply

from ..agent.test_run_e2e import configure, repo, run_cli  # noqa: F401


class WatchedLLM(FakeLLM):
    """The fake LLM, plus a way to wait until the n-th request has arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Condition()

    async def _take(self, request, fmt, stream):
        try:
            return await super()._take(request, fmt, stream)
        finally:
            async with self.arrived:
                self.arrived.notify_all()

    async def requests_reach(self, count: int) -> None:
        async with self.arrived:
            await self.arrived.wait_for(lambda: len(self.requests) >= count)


@pytest.fixture
async def llm():
    server = await WatchedLLM().start()
    yield server
    await server.stop()
    assert server.violations == [], server.violations


def _kill_leftovers(token: str) -> None:
    """A kill -9 leaves the command's process group running: end every process naming ``token``."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmdline and int(pid) != os.getpid():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


async def _start_run(cwd: Path, *args: str):
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codetether",
        "run",
        "--model",
        "fake/fake-large",
        "--yolo",
        "--format",
        "jsonl",
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _line_with(stream: asyncio.StreamReader, marker: bytes) -> dict:
    while True:
        line = await asyncio.wait_for(stream.readline(), 60)
        assert line, "the run ended before the event"
        if marker in line:
            return json.loads(line)


@pytest.mark.parametrize("point", ["tool_call_event", "command_running", "result_sent_to_model"])
async def test_a_run_killed_around_a_tool_call_resumes(llm, repo, config_file, point, tmp_path):  # noqa: F811
    configure(config_file, llm)
    token = f"300.{os.getpid()}{abs(hash(point)) % 10_000}"
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    command = "echo hi" if point == "result_sent_to_model" else f"echo $$ > {fifo}; sleep {token}"
    llm.script(
        Reply(calls=[Call("bash", {"command": command})]),
        Reply(text="first run's answer"),
        Reply(text="resumed fine"),
    )
    proc = await _start_run(repo, "run it")
    try:
        started = await _line_with(proc.stdout, b'"session_started"')
        await _line_with(proc.stdout, b'"tool_call"')
        if point == "command_running":
            await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 60)
        elif point == "result_sent_to_model":
            await asyncio.wait_for(llm.requests_reach(2), 60)
        proc.kill()
        await proc.wait()
    finally:
        _kill_leftovers(token)
    assert proc.returncode == -signal.SIGKILL

    code, out, err = await run_cli("run", "--model", "fake/fake-large", "-c", "--format", "json", "continue", cwd=repo)
    assert code == 0, err
    answer = json.loads(out)
    assert answer["session_id"] == started["session_id"]
    resumed_request = llm.requests[-1].body["messages"]
    results = [m for m in resumed_request if m["role"] == "tool"]
    expected = "hi" if point == "result_sent_to_model" else INTERRUPTED
    assert len(results) == 1 and expected in results[0]["content"]
    session = find_session(started["session_id"])
    assert [m.text for m in session.messages if m.role == "user"] == ["run it", "continue"]


async def test_a_failed_resume_adds_nothing(llm, repo, config_file):  # noqa: F811
    configure(config_file, llm, "max_retries = 0\n")
    llm.script(Reply(text="first answer"), Fault("status", status=500), Reply(text="second answer"))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "json", "first", cwd=repo)
    assert code == 0, err
    path = Path(find_session(json.loads(out)["session_id"]).path)
    before = path.read_bytes()
    code, _, err = await run_cli("run", "--model", "fake/fake-large", "-c", "again", cwd=repo)
    assert code == 1 and "500" in err
    assert path.read_bytes() == before
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "-c", "--format", "json", "again", cwd=repo)
    assert code == 0 and json.loads(out)["text"] == "second answer", err
    user_turns = [m["content"] for m in llm.requests[-1].body["messages"] if m["role"] == "user"]
    assert user_turns == ["first", "again"]


async def test_an_a2a_context_whose_session_was_killed_mid_tool_continues_after_a_restart(
    llm, tmp_path, config_file, data_dir
):
    from codetether.a2a.server.agent_executor import AgentExecutor, ContextSessions
    from codetether.config import load_config
    from codetether.config.schema import A2ASection
    from codetether.security.audit import AuditLog
    from codetether.security.auth import TokenAuth
    from codetether.server.peer import Peer

    workspace = tmp_path / "ws"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    configure(config_file, llm)
    # What the server left when it was killed while bash ran: the call on disk, no result.
    session = FileSession.create(workspace, "fake/fake-large", system="sys")
    call = ToolCall(id="call_killed", name="bash", arguments='{"command": "sleep 300"}')
    session.add(Message.user("start"), Message.assistant("", [call]))
    session.flush_blocking()
    ContextSessions().set("ctx-1", session.id)
    llm.script(Reply(text="picked up where it stopped"))

    token = "agent-executor-token-0123456789"
    executor = AgentExecutor(load_config(cwd=workspace), workspace, model="fake/fake-large")
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0), executor, TokenAuth(token), audit=AuditLog(tmp_path / "audit"), grpc=False
    )
    try:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "SendMessage",
            "params": {
                "message": {"messageId": "m-1", "role": "ROLE_USER", "contextId": "ctx-1", "parts": [{"text": "on"}]},
                "configuration": {"blocking": True},
            },
        }
        headers = {"Authorization": f"Bearer {token}", "A2A-Version": "1.0"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(peer.addresses.http_url + "/", json=body, headers=headers) as reply,
        ):
            result = await reply.json()
    finally:
        await peer.stop()
    # No tool ran in this blocking SendMessage: the default executor answers with a message only (docs/a2a.md).
    assert result["result"]["message"]["parts"][0]["text"] == "picked up where it stopped", result
    sent = llm.requests[-1].body["messages"]
    assert [m["content"] for m in sent if m["role"] == "tool"] == [INTERRUPTED]
