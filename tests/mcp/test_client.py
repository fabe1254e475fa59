"""The MCP client against real servers written with the official SDK: stdio and streamable HTTP on loopback."""

import asyncio
import sys

import pytest

from codetether.config.schema import McpServerSection
from codetether.mcp.client import McpClients
from codetether.mcp.config import McpError, expand, resolve, tool_name
from tests.mcp.conftest import SERVER

FIXTURE_TOOLS = ["echo", "add", "secret", "pid", "fail", "crash", "hang", "header"]


def stdio(*extra: str, **settings) -> McpServerSection:
    return McpServerSection(command=sys.executable, args=[str(SERVER), *extra], **settings)


@pytest.fixture
async def clients():
    """McpClients over the given sections; collects its notices; closed at the end."""
    made: list[McpClients] = []

    def make(environ: dict[str, str] | None = None, **servers: McpServerSection) -> McpClients:
        notices: list[str] = []
        c = McpClients(servers, environ or {"PATH": "/usr/bin:/bin"}, notices.append)
        c.notices = notices  # type: ignore[attr-defined]
        made.append(c)
        return c

    yield make
    for c in made:
        await c.aclose()


async def test_stdio_server_tools_resources_and_prompts(clients):
    c = clients(fx=stdio())
    lists = await asyncio.to_thread(c.tool_lists)
    assert [t["name"] for t in lists["fx"]] == FIXTURE_TOOLS
    assert lists["fx"][1]["inputSchema"]["required"] == ["a", "b"]
    result = await c.run("fx", "call_tool", "add", {"a": 2, "b": 3})
    assert result["content"] == [{"type": "text", "text": "5"}]
    assert [r["uri"] for r in await c.run("fx", "list_resources")] == ["fixture://readme"]
    read = await c.run("fx", "read_resource", "fixture://readme")
    assert read["contents"][0]["text"] == "fixture readme text"
    assert [p["name"] for p in await c.run("fx", "list_prompts")] == ["review"]
    assert c.notices == []


async def test_streamable_http_server_tools_are_called(clients, http_server):
    c = clients(web=McpServerSection(url=http_server, headers={"X-Probe": "${PROBE}"}))
    c.environ = {"PROBE": "1"}
    assert [t["name"] for t in (await asyncio.to_thread(c.tool_lists))["web"]] == FIXTURE_TOOLS
    result = await c.run("web", "call_tool", "echo", {"text": "over http"})
    assert result["content"][0]["text"] == "echo: over http"
    sent = await c.run("web", "call_tool", "header", {"name": "x-probe"})
    assert sent["content"][0]["text"] == "1"  # ${PROBE} resolved from the environment and sent


async def test_env_references_come_from_the_runtime_environment(clients):
    c = clients({"PATH": "/usr/bin:/bin", "TOKEN": "s3cr3t"}, fx=stdio(env={"FIXTURE_SECRET": "${TOKEN}"}))
    result = await c.run("fx", "call_tool", "secret", {})
    assert result["content"][0]["text"] == "s3cr3t"


def test_a_missing_env_reference_names_the_variable():
    with pytest.raises(McpError, match=r"\$\{TOKEN\}, which is not set"):
        resolve("fx", stdio(env={"FIXTURE_SECRET": "${TOKEN}"}), {})
    assert expand("a$$b ${X}", {"X": "y"}, "here") == "a$b y"


def test_a_server_needs_a_command_or_a_url():
    with pytest.raises(McpError, match="either command"):
        resolve("x", McpServerSection(), {})


def test_tool_names_fit_what_providers_accept():
    assert tool_name("git hub", "search.code") == "git_hub__search_code"
    assert len(tool_name("s", "x" * 100)) == 64


async def test_a_server_that_crashes_at_start_is_reported_once_and_skipped(clients):
    c = clients(fx=stdio(), bad=stdio("--crash-at-start"))
    lists = await asyncio.to_thread(c.tool_lists)
    assert list(lists) == ["fx"]
    assert len(c.notices) == 1
    assert "MCP server bad is not available" in c.notices[0]
    assert "missing configuration" in c.notices[0]  # its stderr explains why
    with pytest.raises(McpError, match="not available"):
        await c.run("bad", "call_tool", "echo", {"text": "x"})
    await asyncio.to_thread(c.tool_lists)
    assert len(c.notices) == 1  # once, however often it is asked for


async def test_a_missing_command_is_reported(clients):
    c = clients(gone=McpServerSection(command="/nonexistent/mcp-server"))
    assert await asyncio.to_thread(c.tool_lists) == {}
    assert len(c.notices) == 1 and "MCP server gone is not available" in c.notices[0]


async def test_a_hanging_tool_call_times_out_and_the_server_goes_on(clients):
    c = clients(fx=stdio(timeout=1.0))
    with pytest.raises(McpError, match=r"did not answer call_tool within 1s"):
        await c.run("fx", "call_tool", "hang", {})
    result = await c.run("fx", "call_tool", "echo", {"text": "still here"})
    assert result["content"][0]["text"] == "echo: still here"
    assert c.notices == []  # a slow tool is not a broken server


async def test_a_server_that_does_not_start_in_time_is_reported(clients, tmp_path):
    silent = tmp_path / "silent.py"
    silent.write_text("import sys\nsys.stdin.read()\n")  # a process that never speaks MCP
    c = clients(mute=McpServerSection(command=sys.executable, args=[str(silent)], startup_timeout=1.0))
    assert await asyncio.to_thread(c.tool_lists) == {}
    assert "did not start within 1s" in c.notices[0]


async def test_a_server_crashing_mid_session_is_reported_once(clients):
    c = clients(fx=stdio())
    await c.run("fx", "call_tool", "echo", {"text": "before"})
    with pytest.raises(McpError, match="it stopped") as crashed:
        await c.run("fx", "call_tool", "crash", {})
    assert "crashing now" in str(crashed.value)  # the server's last words
    with pytest.raises(McpError, match="not available"):
        await c.run("fx", "call_tool", "echo", {"text": "after"})
    assert len(c.notices) == 1 and "MCP server fx" in c.notices[0]


async def test_a_tool_error_is_a_result_not_a_failure(clients):
    c = clients(fx=stdio())
    result = await c.run("fx", "call_tool", "fail", {})
    assert result["isError"] is True
    assert (await c.run("fx", "call_tool", "echo", {"text": "x"}))["isError"] is False
    assert c.notices == []


async def test_a_server_that_crashed_is_not_offered_to_later_runs(clients):
    c = clients(fx=stdio())
    assert "fx" in await asyncio.to_thread(c.tool_lists)
    with pytest.raises(McpError, match="it stopped"):
        await c.run("fx", "call_tool", "crash", {})
    assert await asyncio.to_thread(c.tool_lists) == {}  # e.g. a sub-agent built after the crash
    assert len(c.notices) == 1
