"""``codetether mcp list|tools|call`` in a subprocess, against the fixture server over stdio."""

import json

from tests.mcp.conftest import stdio_table


def test_list_shows_each_server_and_its_state(cli, write_config):
    write_config(
        stdio_table("fx"),
        stdio_table("bad", "--crash-at-start"),
        '[mcp.off]\nurl = "http://127.0.0.1:9/mcp"\nenabled = false\n',
    )
    result = cli("mcp", "list")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "transport", "state", "target"]
    assert lines[1].split()[:3] == ["bad", "stdio", "failed"]
    assert lines[2].split()[:5] == ["fx", "stdio", "ready,", "8", "tools"]
    assert lines[3].split()[:3] == ["off", "http", "disabled"]
    assert "missing configuration" in result.stdout  # why bad failed, from its stderr
    entries = json.loads(cli("mcp", "list", "--json").stdout)
    assert [(e["name"], e["state"]) for e in entries] == [("bad", "failed"), ("fx", "ready"), ("off", "disabled")]


def test_tools_lists_tools_resources_and_prompts(cli, write_config):
    write_config(stdio_table("fx"))
    result = cli("mcp", "tools", "fx", "--resources", "--prompts")
    assert result.code == 0, result.stderr
    assert "fx__add  Add two integers." in result.stdout.splitlines()
    assert "resource fixture://readme  the fixture's readme" in result.stdout
    assert "prompt review(path)  Ask for a review of a file." in result.stdout
    schema = json.loads(cli("mcp", "tools", "fx", "--json").stdout)["tools"][1]["inputSchema"]
    assert schema["required"] == ["a", "b"]


def test_call_prints_the_result(cli, write_config):
    write_config(stdio_table("fx", env={"FIXTURE_SECRET": "${FROM_ENV}"}))
    env = {"FROM_ENV": "s3cr3t"}
    assert cli("mcp", "call", "fx", "add", "--arguments", '{"a": 1, "b": 2}', env=env).stdout == "3\n"
    raw = json.loads(cli("mcp", "call", "fx", "add", "--arguments", '{"a": 1, "b": 2}', "--json", env=env).stdout)
    assert raw["structuredContent"] == {"result": 3} and raw["isError"] is False
    assert cli("mcp", "call", "fx", "secret", env=env).stdout == "s3cr3t\n"
    unset = cli("mcp", "call", "fx", "secret")
    assert unset.code == 1 and "refers to ${FROM_ENV}, which is not set" in unset.stderr


def test_call_failures_are_one_line_errors(cli, write_config):
    write_config(stdio_table("fx", timeout=1.0), stdio_table("bad", "--crash-at-start"))
    failed = cli("mcp", "call", "fx", "fail")
    assert failed.code == 1
    hung = cli("mcp", "call", "fx", "hang")
    assert (hung.code, hung.stderr.strip()) == (
        1,
        "error: MCP server fx did not answer call_tool within 1s (raise [mcp.fx] timeout if it needs longer)",
    )
    bad = cli("mcp", "tools", "bad")
    assert bad.code == 1 and "MCP server bad is not available" in bad.stderr and "Traceback" not in bad.stderr
    unknown = cli("mcp", "tools", "nope")
    assert unknown.code == 1 and "no MCP server named 'nope'" in unknown.stderr
    assert cli("mcp", "call", "fx", "add", "--arguments", "[1]").code == 2


def test_no_servers_configured(cli):
    result = cli("mcp", "list")
    assert result.code == 2 and "no MCP servers are configured" in result.stderr


def test_a_bad_mcp_table_names_the_key(cli, write_config):
    write_config('[mcp.fx]\ncommand = "x"\nport = 3\n')
    result = cli("mcp", "list")
    assert result.code != 0 and "mcp.fx.port" in result.stderr
