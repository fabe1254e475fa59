"""`codetether mcp serve` as a real stdio subprocess, driven by the official `mcp` SDK's client."""

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from codetether.mcp.server import NOT_SERVED
from codetether.tools.registry import BUILTIN_TOOLS
from tests.fakes.llm import Call, Reply

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, types  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

SCHEMAS = {t["name"]: t for t in json.loads((Path(__file__).parents[1] / "tools" / "tool_schemas.json").read_text())}
CLIENT = "pytest-ide"
SERVE = ["-m", "codetether", "mcp", "serve"]
LIMIT = 60  # seconds for a whole session; a hung server fails the test instead of the run


@asynccontextmanager
async def served(
    repo: Path, *flags: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized client session with `codetether mcp serve FLAGS` running in ``repo``."""
    errlog = (repo.parent / "server-stderr.txt").open("w")
    params = StdioServerParameters(
        command=sys.executable,
        args=[*SERVE, *flags],
        env={**os.environ, **(env or {})},
        cwd=cwd or repo,
    )
    try:
        with anyio.fail_after(LIMIT):
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write, client_info=types.Implementation(name=CLIENT, version="1")) as session,
            ):
                await session.initialize()
                yield session
    finally:
        errlog.close()


def wire(result: Any) -> dict[str, Any]:
    """An SDK result as its wire JSON (camelCase), the same under both SDK majors."""
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


async def call(session: ClientSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return wire(await session.call_tool(name, arguments))


def text(result: dict[str, Any]) -> str:
    return "".join(c["text"] for c in result["content"] if c["type"] == "text")


def audit_records(data_dir: Path) -> list[dict]:
    lines = (data_dir / "audit" / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def configure(config_file: Path, body: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(body)


async def test_lists_the_tools_an_agent_run_has_with_the_schemas_the_model_sees(git_repo):
    async with served(git_repo) as session:
        tools = wire(await session.list_tools())["tools"]
    names = [t["name"] for t in tools]
    assert names == [n for n in BUILTIN_TOOLS if n not in NOT_SERVED and n != "task"]
    for tool in tools:
        pinned = SCHEMAS[tool["name"]]
        assert tool["inputSchema"] == pinned["parameters"]
        assert tool["description"] == pinned["description"]
    hints = {t["name"]: t["annotations"] for t in tools}
    assert hints["read_file"]["readOnlyHint"] is True
    assert hints["bash"]["readOnlyHint"] is False and hints["bash"]["destructiveHint"] is True


async def test_read_file_returns_the_file_as_the_model_reads_it(git_repo):
    (git_repo / "notes.txt").write_text("alpha\nbeta\n")
    async with served(git_repo) as session:
        result = await call(session, "read_file", {"file_path": "notes.txt"})
    assert result["isError"] is False
    assert text(result) == "     1\talpha\n     2\tbeta"


async def test_bash_is_denied_in_ask_mode_and_both_calls_are_audited_as_the_client(git_repo, data_dir):
    async with served(git_repo) as session:
        await call(session, "read_file", {"file_path": "README.md"})
        result = await call(session, "bash", {"command": "touch made-by-bash"})
    assert result["isError"] is True
    assert text(result).startswith("Error: permission denied: bash on touch made-by-bash")
    assert not (git_repo / "made-by-bash").exists()
    records = [(r["actor"], r["action"], r["resource"], r["outcome"]) for r in audit_records(data_dir)]
    assert records == [
        (f"mcp:{CLIENT}", "tool.read_file", "", "ok"),  # read tools name no subject
        (f"mcp:{CLIENT}", "tool.bash", "touch made-by-bash", "denied"),
    ]


async def test_bash_runs_with_access_mode_full_without_the_servers_secrets(git_repo):
    async with served(git_repo, "--access-mode", "full", env={"OPENAI_API_KEY": "sk-not-for-tools"}) as session:
        result = await call(session, "bash", {"command": 'echo "$((6 * 7)) key=${OPENAI_API_KEY:-unset}"'})
    assert result["isError"] is False, text(result)
    assert "42 key=unset" in text(result)


async def test_the_access_mode_defaults_to_the_config(git_repo, config_file):
    configure(config_file, '[agent]\naccess_mode = "full"\n')
    async with served(git_repo) as session:
        result = await call(session, "bash", {"command": "touch made-by-bash"})
    assert result["isError"] is False, text(result)
    assert (git_repo / "made-by-bash").exists()


async def test_a_tool_that_is_not_served_is_an_invalid_tool_result(git_repo):
    async with served(git_repo) as session:
        result = await call(session, "question", {"question": "which?", "options": []})
    assert result["isError"] is True
    assert text(result).startswith("Error: invalid tool 'question'")


async def test_bad_arguments_come_back_as_the_error_the_model_would_see(git_repo):
    async with served(git_repo) as session:
        result = await call(session, "read_file", {"path": "README.md"})
    assert result["isError"] is True
    assert text(result).startswith("Error: invalid arguments for read_file")


async def test_run_agent_runs_a_whole_task_and_returns_the_answer(git_repo, llm, config_file, data_dir):
    configure(config_file, f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n')
    llm.script(
        Reply(calls=[Call("read_file", {"file_path": "README.md"})]),
        Reply(text="The README is a one-line title: # project"),
    )
    async with served(git_repo, "--agent", "--model", "fake/fake-large") as session:
        names = [t["name"] for t in wire(await session.list_tools())["tools"]]
        result = await call(session, "run_agent", {"prompt": "what does the README say?"})
    assert "run_agent" in names and "task" in names
    assert result["isError"] is False, text(result)
    assert text(result) == "The README is a one-line title: # project"
    assert result["structuredContent"]["status"] == "submitted"
    session_id = result["structuredContent"]["session_id"]
    assert (data_dir / "sessions" / f"{session_id}.jsonl").exists()  # the user can continue it
    records = [(r["actor"], r["action"], r["outcome"]) for r in audit_records(data_dir)]
    assert (f"mcp:{CLIENT}/agent:{session_id}", "tool.read_file", "ok") in records


async def test_run_agent_that_does_not_finish_is_an_error_saying_how_it_ended(git_repo, llm, config_file):
    configure(config_file, f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n[agent]\nmax_steps = 1\n')
    llm.script(Reply(calls=[Call("read_file", {"file_path": "README.md"})]))
    async with served(git_repo, "--agent", "--model", "fake/fake-large") as session:
        result = await call(session, "run_agent", {"prompt": "read everything"})
    assert result["isError"] is True
    assert text(result).startswith("[agent stopped: max_steps]")
    assert result["structuredContent"]["status"] == "max_steps"


async def test_run_agent_with_a_model_that_cannot_be_used_says_why(git_repo, llm, config_file):
    configure(config_file, f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n')
    async with served(git_repo, "--agent", "--model", "fake/fake-large") as session:
        result = await call(session, "run_agent", {"prompt": "hi", "model": "openai/gpt-5"})
    assert result["isError"] is True
    assert "no API key configured" in text(result)


def test_serve_refuses_to_start_when_the_agents_model_cannot_be_used(git_repo):
    argv = [sys.executable, *SERVE, "--agent", "--model", "openai/gpt-5"]
    result = subprocess.run(argv, cwd=git_repo, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=LIMIT)
    assert result.returncode != 0
    assert "no API key configured" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


async def test_serving_tools_needs_no_usable_model_and_saves_no_session(git_repo, config_file, data_dir):
    configure(config_file, '[default]\nprovider = "openai"\nmodel = "gpt-5"\n')  # and no key for it
    async with served(git_repo) as session:
        result = await call(session, "list_dir", {"path": "."})
    assert result["isError"] is False, text(result)
    assert "README.md" in text(result)
    assert not (data_dir / "sessions").exists()


async def test_a_permissions_rule_lets_a_client_run_a_command_in_ask_mode(git_repo, config_file):
    configure(config_file, '[permissions.bash]\n"echo *" = "allow"\n')
    async with served(git_repo) as session:
        allowed = await call(session, "bash", {"command": "echo ruled"})
        denied = await call(session, "bash", {"command": "touch made-by-bash"})
    assert allowed["isError"] is False, text(allowed)
    assert "ruled" in text(allowed)
    assert denied["isError"] is True


async def test_the_tools_are_confined_to_the_workspace_given(git_repo):
    (git_repo.parent / "outside.txt").write_text("not yours\n")
    async with served(git_repo, "--workspace", str(git_repo), cwd=git_repo.parent) as session:
        inside = await call(session, "read_file", {"file_path": "README.md"})
        outside = await call(session, "read_file", {"file_path": str(git_repo.parent / "outside.txt")})
    assert text(inside) == "     1\t# project"
    assert outside["isError"] is True
    assert "is outside the workspace" in text(outside)
