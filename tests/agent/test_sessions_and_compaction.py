"""Sessions on disk (crash safety, CLI), compaction of an over-long session, sub-agents, Ctrl+C."""

import asyncio
import json
import os
import signal
import sys

import pytest

from codetether.agent.compaction import PRUNED, SUMMARY_HEADER, Compactor, estimate_tokens, prune_tool_outputs
from codetether.agent.loop import Agent
from codetether.agent.session import FileSession, find_session
from codetether.providers import Message, ProviderSettings, RetryPolicy, create_provider
from codetether.providers.http import close_shared_session
from codetether.providers.types import ToolCall, Usage
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.context import ToolContext
from codetether.tools.registry import builtin_tools
from codetether.tools.runner import ToolRunner
from tests.fakes.llm import Call, Reply

from .test_run_e2e import configure, events_of, repo, run_cli  # noqa: F401


def test_session_survives_a_torn_final_line(tmp_path):
    session = FileSession.create(tmp_path, "fake/model", directory=tmp_path / "s")
    session.add(Message.user("hello"), Message.assistant("hi"))
    session.add_usage(Usage(input_tokens=10, output_tokens=2), "model")
    session.flush_blocking()
    with open(session.path, "ab") as fh:
        fh.write(b'{"type":"message","message":{"role":"assis')  # killed mid-write
    loaded = FileSession.load(session.path)
    assert [m.text for m in loaded.messages] == ["hello", "hi"] and loaded.usage.input_tokens == 10
    assert loaded.meta.title == "hello"


def test_corruption_before_the_end_is_reported(tmp_path):
    from codetether.errors import CodetetherError

    session = FileSession.create(tmp_path, "m", directory=tmp_path / "s")
    session.add(Message.user("a"))
    session.flush_blocking()
    text = session.path.read_text()
    session.path.write_text(text.replace('"role":"user"', '"role":"nobody"') + text.splitlines()[0] + "\n")
    with pytest.raises(CodetetherError, match="corrupt at line"):
        FileSession.load(session.path)


async def test_sessions_cli(llm, repo, config_file):  # noqa: F811
    configure(config_file, llm)
    llm.script(Reply(text="answer one"), Reply(text="answer two"))
    _, out, _ = await run_cli("run", "--model", "fake/fake-large", "--format", "json", "first task", cwd=repo)
    session_id = json.loads(out)["session_id"]
    await run_cli("run", "--model", "fake/fake-large", "second task", cwd=repo)
    code, listing, _ = await run_cli("sessions", "list", cwd=repo)
    assert code == 0 and session_id in listing and "first task" in listing and "second task" in listing
    code, shown, _ = await run_cli("sessions", "show", session_id, cwd=repo)
    assert "### user\n\nfirst task" in shown and "answer one" in shown
    code, exported, _ = await run_cli("sessions", "export", session_id, cwd=repo)
    document = json.loads(exported)
    assert document["session"]["id"] == session_id and document["messages"][-1]["content"][0]["text"] == "answer one"
    code, _, err = await run_cli("sessions", "delete", session_id, cwd=repo)
    assert code == 0
    code, _, err = await run_cli("sessions", "show", session_id, cwd=repo)
    assert code == 1 and "no session" in err


def test_pruning_keeps_pairs_and_recent_output():
    calls = [ToolCall(id=f"c{i}", name="bash", arguments="{}") for i in range(6)]
    messages = [Message.system("s"), Message.user("task")]
    for call in calls:
        messages += [Message.assistant("", [call]), Message.tool_result(call, "x" * 1000)]
    pruned = prune_tool_outputs(messages)
    tool_texts = [m.text for m in pruned if m.role == "tool"]
    assert tool_texts[:2] == [PRUNED, PRUNED] and tool_texts[-4:] == ["x" * 1000] * 4
    assert estimate_tokens(pruned) < estimate_tokens(messages)


async def test_ten_times_over_long_session_keeps_working(llm, tmp_path):
    """A 1 500-token window; the session produces ~15 000 tokens of tool output and still finishes."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "big.txt").write_text("\n".join(f"row {i} " + "data " * 10 for i in range(120)))
    steps = 10
    llm.script(*(Reply(calls=[Call("read_file", {"file_path": "big.txt"})], input_tokens=100) for _ in range(steps)))
    # Summary requests (as many as compaction asks for) are told apart by the summariser's system prompt.
    summary = "You summarise coding sessions"
    llm.route(summary, *(Reply(text=f"## Task\nsummarise big.txt\n## State\nread it {i} times") for i in range(steps)))
    settings = ProviderSettings(name="fake", kind="openai", base_url=f"{llm.url}/v1", retry=RetryPolicy(max_retries=0))
    provider = create_provider(settings)
    session = FileSession.create(workspace, "fake/fake-large", directory=tmp_path / "sessions")
    session.add(Message.system("You are a test agent."))
    context = ToolContext.local(workspace, PermissionPolicy(AccessMode.FULL))
    tools = ToolRunner(builtin_tools(["read_file"]), context)
    seen = []
    agent = Agent(
        provider,
        "fake-large",
        tools,
        session,
        emit=seen.append,
        max_steps=steps,
        compactor=Compactor(provider, "fake-large", context_window=1500),
    )
    original = "Read big.txt again and again, then tell me what it holds."
    try:
        finished = await agent.run(Message.user(original))
    finally:
        await close_shared_session()
    # It ran out of steps (the script never stops calling tools) rather than failing on context size.
    assert finished.status in ("max_steps", "submitted"), finished
    total_output = sum(len(e.output) for e in seen if type(e).__name__ == "ToolCallFinished")
    assert total_output // 4 > 10 * 1500
    assert any(type(e).__name__ == "Compacted" and e.summarised for e in seen)
    chat_requests = [r for r in llm.requests if r.body.get("tools")]
    for request in chat_requests:  # the user's request reached the model every single time
        assert any(original in json.dumps(m.get("content")) for m in request.body["messages"] if m["role"] == "user")
    summaries = [r for r in llm.requests if not r.body.get("tools")]
    assert summaries and "## Files touched" in json.dumps(summaries[0].body)
    assert SUMMARY_HEADER in json.dumps(chat_requests[-1].body)
    assert FileSession.load(session.path).messages == session.messages  # the checkpoint was persisted


async def test_context_length_error_triggers_compaction_and_retry(llm, tmp_path):
    from tests.fakes.llm import Fault

    workspace = tmp_path / "ws"
    workspace.mkdir()
    llm.script(Fault("context_length"), Reply(text="## Task\nx"), Reply(text="fits now"))
    provider = create_provider(
        ProviderSettings(name="fake", kind="openai", base_url=f"{llm.url}/v1", retry=RetryPolicy(max_retries=0))
    )
    session = FileSession.create(workspace, "fake", directory=tmp_path / "s")
    session.add(Message.system("sys"), Message.user("old question"), Message.assistant("old answer"))
    agent = Agent(provider, "fake-large", None, session, compactor=Compactor(provider, "fake-large", 100_000))
    try:
        finished = await agent.run(Message.user("new question"))
    finally:
        await close_shared_session()
    assert finished.status == "submitted" and finished.text == "fits now"


async def test_task_tool_runs_a_sub_agent(llm, repo, config_file):  # noqa: F811
    configure(config_file, llm)
    llm.script(
        Reply(calls=[Call("task", {"description": "count lines", "prompt": "How many lines has greet.py?"})]),
        Reply(calls=[Call("read_file", {"file_path": "greet.py"})]),  # the sub-agent works...
        Reply(text="greet.py has 2 lines."),  # ...and answers
        Reply(text="The sub-agent says: 2 lines."),
    )
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "jsonl", "count", cwd=repo)
    assert code == 0, err
    task_result = next(e for e in events_of(out) if e["type"] == "tool_result" and e["name"] == "task")
    assert task_result["output"] == "greet.py has 2 lines."
    sub_request = llm.requests[1].body
    assert sub_request["messages"][-1]["content"] == "How many lines has greet.py?"
    assert "task" not in {t["function"]["name"] for t in sub_request["tools"]}


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("inherited", ["default", "ignored"])
async def test_ctrl_c_stops_cleanly_and_keeps_the_session(llm, repo, config_file, tmp_path, inherited):  # noqa: F811
    """SIGINT lands once the command is known to run (it writes to a FIFO the test reads), not after a sleep.

    "ignored": started the way a non-interactive shell starts ``cmd &`` (SIGINT inherited as SIG_IGN),
    where asyncio.run installs no handler and the run used to go on to its next model turn.
    """
    configure(config_file, llm)
    fifo = tmp_path / "running"
    os.mkfifo(fifo)
    llm.script(Reply(calls=[Call("bash", {"command": f"echo $$ > {fifo}; sleep 30"})]), Reply(text="resumed fine"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codetether",
        "run",
        "--model",
        "fake/fake-large",
        "--yolo",
        "--format",
        "jsonl",
        "sleep please",
        cwd=repo,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=dict(os.environ),
        preexec_fn=_ignore_sigint if inherited == "ignored" else None,
    )
    await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 60)  # the command is running
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 130, err
    assert len(llm.requests) == 1  # no further model turn
    events = events_of(out.decode())
    assert events[-1]["type"] == "done" and events[-1]["status"] == "interrupted"
    assert "codetether run -c" in err.decode()
    session = find_session(events[0]["session_id"])
    assert session.messages[-1].role == "tool" and "interrupted" in session.messages[-1].text
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "-c", "--format", "json", "go on", cwd=repo)
    assert code == 0, err
    assert json.loads(out)["text"] == "resumed fine"


async def test_an_answer_still_cut_off_after_the_nudges_ends_max_tokens(llm, repo, config_file):  # noqa: F811
    configure(config_file, llm)
    parts = ["The answer ", "goes on ", "and on ", "and on"]
    llm.script(*(Reply(text=p, stop="max_tokens") for p in parts))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "json", "explain", cwd=repo)
    assert code == 3, err
    assert "cut off at the model's output limit" in err and "partial answer is kept in the session" in err
    done = json.loads(out)
    assert done["status"] == "max_tokens" and done["text"] == "".join(parts)
    kept = [m.text for m in find_session(done["session_id"]).messages if m.role == "assistant"]
    assert kept == parts


async def test_a_sessions_directory_that_cannot_be_made_is_a_one_line_error(llm, repo, config_file, data_dir):  # noqa: F811
    """Tests run as root, where a 0500 directory is still writable: a regular file in its place is refused."""
    configure(config_file, llm)
    data_dir.mkdir(parents=True)
    (data_dir / "sessions").write_text("not a directory\n")
    code, _, err = await run_cli("run", "--model", "fake/fake-large", "hello", cwd=repo)
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot create the sessions directory" in errors[0] and "Not a directory" in errors[0]
    assert "Traceback" not in err and "internal error" not in err
    assert llm.requests == []  # it failed before asking the model anything


def test_appending_after_a_torn_line_repairs_the_file(tmp_path):
    session = FileSession.create(tmp_path, "m", directory=tmp_path / "s")
    session.add(Message.user("one"))
    session.flush_blocking()
    with open(session.path, "ab") as fh:
        fh.write(b'{"type":"message","mess')
    resumed = FileSession.load(session.path)
    resumed.add(Message.assistant("two"))
    resumed.add(Message.user("three"))
    resumed.flush_blocking()
    assert [m.text for m in FileSession.load(session.path).messages] == ["one", "two", "three"]
