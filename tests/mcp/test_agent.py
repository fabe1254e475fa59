"""MCP servers' tools in agent runs: offered as NAME__tool, called through the runner, audited, permission-checked.

The fake LLM scripts the model; the MCP servers are the real SDK fixture server (tests/mcp/server.py).
"""

import asyncio
import os
import sys

import pytest

from codetether.config import load_config
from codetether.providers.types import Message
from codetether.runtime import AgentSpec, Runtime
from codetether.security.audit import AuditQuery, query
from tests.agent.test_run_e2e import events_of, run_cli
from tests.fakes.llm import Call, Reply
from tests.mcp.conftest import stdio_table


def provider(llm, mode: str = "full") -> str:
    return f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n\n[agent]\naccess_mode = "{mode}"\n'


def offered(request) -> set[str]:
    return {tool["function"]["name"] for tool in request.body.get("tools", [])}


def tool_results(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m.get("role") == "tool"]


async def run_agent(git_repo, prompt: str = "go", **spec):
    notices: list[str] = []
    async with Runtime(load_config(cwd=git_repo), notice=notices.append) as runtime:
        run = runtime.agent(AgentSpec(workspace=str(git_repo), model="fake/fake-large", plugins=False, **spec))
        finished = await run.run(Message.user(prompt))
        started = runtime._mcp is not None
    return finished, notices, started


async def test_mcp_tools_are_offered_called_and_audited(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("fx"))
    llm.script(Reply(calls=[Call("fx__add", {"a": 20, "b": 22})]), Reply(text="the sum is 42"))
    finished, notices, _ = await run_agent(git_repo)
    assert finished.status == "submitted" and finished.text == "the sum is 42"
    assert {"fx__add", "fx__echo", "fx__hang", "mcp_resource"} <= offered(llm.requests[0])
    assert tool_results(llm.requests[1]) == ["42"]
    schema = next(t for t in llm.requests[0].body["tools"] if t["function"]["name"] == "fx__add")["function"]
    assert schema["parameters"]["required"] == ["a", "b"]
    assert "(MCP server fx)" in schema["description"]
    [record] = query(AuditQuery(action="tool.fx__add"))
    assert (record.resource, record.outcome) == ("fx__add", "ok")
    assert notices == []


async def test_the_model_reads_a_resource(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("fx"))
    llm.script(
        Reply(calls=[Call("mcp_resource", {})]),
        Reply(calls=[Call("mcp_resource", {"server": "fx", "uri": "fixture://readme"})]),
        Reply(text="done"),
    )
    finished, _, _ = await run_agent(git_repo)
    assert finished.status == "submitted"
    assert tool_results(llm.requests[1]) == ["fx  fixture://readme  the fixture's readme"]
    assert tool_results(llm.requests[2])[-1] == "fixture readme text"


async def test_a_server_that_crashes_at_start_is_reported_once_and_the_run_works(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("fx"), stdio_table("bad", "--crash-at-start"))
    llm.script(Reply(calls=[Call("fx__echo", {"text": "hi"})]), Reply(text="ok"))
    finished, notices, _ = await run_agent(git_repo)
    assert finished.status == "submitted"
    assert tool_results(llm.requests[1]) == ["echo: hi"]
    assert not any(name.startswith("bad__") for name in offered(llm.requests[0]))
    assert len(notices) == 1 and "MCP server bad is not available" in notices[0]


async def test_a_hanging_tool_call_returns_an_error_and_the_session_goes_on(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("fx", timeout=1.0))
    llm.script(
        Reply(calls=[Call("fx__hang", {})]),
        Reply(calls=[Call("fx__echo", {"text": "after"})]),
        Reply(text="recovered"),
    )
    finished, notices, _ = await run_agent(git_repo)
    assert finished.status == "submitted" and finished.text == "recovered"
    [hung] = tool_results(llm.requests[1])
    assert hung.startswith("Error: MCP server fx did not answer call_tool within 1s")
    assert tool_results(llm.requests[2])[-1] == "echo: after"
    assert notices == []


async def test_a_server_crashing_mid_session_is_reported_once_and_the_run_goes_on(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("fx"))
    llm.script(
        Reply(calls=[Call("fx__crash", {})]),
        Reply(calls=[Call("fx__echo", {"text": "again"})]),
        Reply(calls=[Call("list_dir", {})]),
        Reply(text="carried on"),
    )
    finished, notices, _ = await run_agent(git_repo)
    assert finished.status == "submitted" and finished.text == "carried on"
    assert "it stopped" in tool_results(llm.requests[1])[-1]
    assert "MCP server fx is not available" in tool_results(llm.requests[2])[-1]
    assert "README.md" in tool_results(llm.requests[3])[-1]  # built-in tools still work
    assert len(notices) == 1


async def test_in_ask_mode_without_a_person_an_mcp_tool_is_denied(llm, git_repo, write_config):
    write_config(provider(llm, mode="ask"), stdio_table("fx"))
    llm.script(Reply(calls=[Call("fx__echo", {"text": "hi"})]), Reply(text="denied"))
    finished, _, _ = await run_agent(git_repo)
    assert finished.status == "submitted"
    [denied] = tool_results(llm.requests[1])
    assert "permission denied" in denied and "fx__echo" in denied
    [record] = query(AuditQuery(action="tool.fx__echo"))
    assert record.outcome == "denied"


async def test_a_permission_rule_allows_an_mcp_tool_by_name(llm, git_repo, write_config):
    write_config(provider(llm, mode="ask"), '[permissions.fx__echo]\n"*" = "allow"\n', stdio_table("fx"))
    llm.script(Reply(calls=[Call("fx__echo", {"text": "hi"})]), Reply(text="ok"))
    await run_agent(git_repo)
    assert tool_results(llm.requests[1]) == ["echo: hi"]


async def test_closing_the_runtime_stops_the_servers(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("fx"))
    llm.script(Reply(calls=[Call("fx__pid", {})]), Reply(text="ok"))
    await run_agent(git_repo)
    pid = int(tool_results(llm.requests[1])[0])
    with pytest.raises(ProcessLookupError):  # exited and reaped before Runtime.aclose returned
        os.kill(pid, 0)


async def test_a_spec_without_mcp_starts_no_server(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("bad", "--crash-at-start"))
    llm.script(Reply(text="ok"))
    finished, notices, started = await run_agent(git_repo, mcp=False)
    assert finished.status == "submitted" and notices == [] and not started
    assert not any("__" in name for name in offered(llm.requests[0]))


async def test_codetether_run_calls_an_mcp_tool(llm, git_repo, write_config):
    write_config(provider(llm), stdio_table("fx"))
    llm.script(Reply(calls=[Call("fx__echo", {"text": "from run"})]), Reply(text="done"))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "jsonl", "go", cwd=git_repo)
    assert code == 0, err
    results = [e for e in events_of(out) if e["type"] == "tool_result"]
    assert [(r["name"], r["is_error"]) for r in results] == [("fx__echo", False)]
    assert tool_results(llm.requests[1]) == ["echo: from run"]


async def test_a_run_without_mcp_servers_does_not_import_the_sdk(llm, git_repo, write_config):
    write_config(provider(llm))
    code = (
        "import asyncio, sys\n"
        "from codetether.config import load_config\n"
        "from codetether.providers.types import Message\n"
        "from codetether.runtime import AgentSpec, Runtime\n"
        "async def main():\n"
        "    async with Runtime(load_config()) as rt:\n"
        "        run = rt.agent(AgentSpec(workspace='.', model='fake/fake-large', session='memory'))\n"
        "        await run.run(Message.user('hi'))\n"
        "asyncio.run(main())\n"
        "print('mcp' in sys.modules)\n"
    )
    llm.script(Reply(text="hello"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=git_repo, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "False"
