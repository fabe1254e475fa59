"""`codetether run` as a subprocess against the fake LLM server, in a real git repo."""

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.llm import Call, FakeLLM, Reply


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "greet.py").write_text('def greet(name):\n    return "hello " + name\n')
    (root / "AGENTS.md").write_text("Always run the program after changing it.\n")
    return root


def configure(config_file: Path, llm: FakeLLM, extra: str = "") -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n{extra}')


async def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codetether",
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


def events_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


async def test_read_write_edit_run_answer(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(
        Reply(text="Let me look.", calls=[Call("read_file", {"file_path": "greet.py"})]),
        Reply(
            calls=[
                Call(
                    "write_file",
                    {"file_path": "main.py", "content": "from greet import greet\nprint(greet('world'))\n"},
                )
            ]
        ),
        Reply(
            calls=[
                Call(
                    "edit",
                    {"file_path": "greet.py", "old_string": '"hello " + name', "new_string": 'f"Hello, {name}!"'},
                )
            ]
        ),
        Reply(calls=[Call("bash", {"command": "python3 main.py"})]),
        Reply(text="Done: main.py prints Hello, world!"),
    )
    code, out, err = await run_cli(
        "run", "--model", "fake/fake-large", "--format", "jsonl", "--yolo", "make main.py greet the world", cwd=repo
    )
    assert code == 0, err
    assert (repo / "main.py").read_text() == "from greet import greet\nprint(greet('world'))\n"
    assert 'f"Hello, {name}!"' in (repo / "greet.py").read_text()
    evs = events_of(out)
    kinds = [e["type"] for e in evs]
    assert kinds[0] == "session_started" and kinds[-1] == "done"
    assert [e["name"] for e in evs if e["type"] == "tool_call"] == ["read_file", "write_file", "edit", "bash"]
    results = [e for e in evs if e["type"] == "tool_result"]
    assert not any(r["is_error"] for r in results), results
    assert "Hello, world!" in results[-1]["output"] and "[exit code 0]" in results[-1]["output"]
    assert evs[-1]["status"] == "submitted" and evs[-1]["text"] == "Done: main.py prints Hello, world!"
    assert any(e["type"] == "usage" for e in evs)
    first = llm.requests[0].body
    system = first["messages"][0]["content"]
    assert "Always run the program" in system and "Working directory" in system
    assert {t["function"]["name"] for t in first["tools"]} >= {"read_file", "edit", "bash"}


async def test_non_interactive_run_denies_and_tells_the_model(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(
        Reply(calls=[Call("bash", {"command": "touch should-not-exist"})]),
        Reply(text="I was not allowed to run commands."),
    )
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "jsonl", "do it", cwd=repo)
    assert code == 0, err
    result = next(e for e in events_of(out) if e["type"] == "tool_result")
    assert result["is_error"] and "permission denied" in result["output"] and "non-interactive" in result["output"]
    assert not (repo / "should-not-exist").exists()
    tool_message = llm.requests[1].body["messages"][-1]
    assert tool_message["role"] == "tool" and "permission denied" in tool_message["content"]


async def test_continue_the_latest_session(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(Reply(text="first answer"), Reply(text="second answer"))
    code, out, _ = await run_cli("run", "--model", "fake/fake-large", "--format", "json", "first", cwd=repo)
    first = json.loads(out)
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "json", "-c", "second", cwd=repo)
    assert code == 0, err
    second = json.loads(out)
    assert second["session_id"] == first["session_id"] and second["text"] == "second answer"
    texts = [m["content"] for m in llm.requests[1].body["messages"] if m["role"] in ("user", "assistant")]
    assert texts == ["first", "first answer", "second"]


async def test_text_format_streams_answer_and_tool_lines(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(Reply(calls=[Call("read_file", {"file_path": "greet.py"})]), Reply(text="It greets people."))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "what does greet.py do?", cwd=repo)
    assert code == 0, err
    assert out == "It greets people.\n"
    assert "✓ read_file greet.py" in err and "submitted after 2 steps" in err


async def test_max_steps_exit_code(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(*[Reply(calls=[Call("glob", {"pattern": "*.py"})]) for _ in range(2)])
    code, _, err = await run_cli("run", "--model", "fake/fake-large", "--max-steps", "2", "loop", cwd=repo)
    assert code == 3 and "stopped after 2 steps" in err


async def test_provider_failure_is_one_clear_line(repo, config_file):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[providers.dead]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    code, out, err = await run_cli("run", "--model", "dead/x", "--format", "jsonl", "hi", cwd=repo, timeout=120)
    assert code == 1
    assert "connection failed" in err and "Traceback" not in err
    assert events_of(out)[-1]["status"] == "error"


async def test_missing_key_for_a_hosted_provider(repo):
    code, _, err = await run_cli("run", "--model", "anthropic/claude-sonnet-4-20250514", "hi", cwd=repo)
    assert code == 1 and "no API key configured" in err and "codetether auth login anthropic" in err


async def test_attachments_reach_the_model(llm, repo, config_file):
    configure(config_file, llm)
    (repo / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    llm.script(Reply(text="seen"))
    code, _, err = await run_cli(
        "run", "--model", "fake/fake-large", "-f", "greet.py", "-f", "shot.png", "--no-tools", "explain", cwd=repo
    )
    assert code == 0, err
    body = llm.requests[0].body
    content = body["messages"][-1]["content"]
    assert content[0]["text"] == "explain" and content[1]["text"].startswith('<file path="greet.py">\ndef greet')
    assert content[2]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "tools" not in body
    code, _, err = await run_cli("run", "--model", "fake/fake-large", "-f", "missing.txt", "x", cwd=repo)
    assert code == 2 and "cannot attach missing.txt" in err


@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None,
    reason="llama-cpp-python is not installed (pip install '.[local]')",
)
async def test_no_provider_configured_uses_the_embedded_model(repo):
    code, out, err = await run_cli("run", "--no-tools", "--format", "json", "Say hi", cwd=repo, timeout=300)
    assert code == 0, err
    assert "using the embedded local model gemma-3-270m" in err and len(err.strip().splitlines()) == 1
    document = json.loads(out)
    assert document["status"] == "submitted" and document["usage"]["output_tokens"] > 0


async def test_answer_cut_at_the_output_limit_is_continued(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(Reply(text="The first half, ", stop="max_tokens"), Reply(text="and the second half."))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "json", "explain", cwd=repo)
    assert code == 0, err
    assert json.loads(out)["text"] == "The first half, and the second half."
    assert "cut off at the output limit" in json.dumps(llm.requests[1].body["messages"][-1])


async def test_tool_call_without_tools_gets_an_answer(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(Reply(calls=[Call("bash", {"command": "ls"})]), Reply(text="ok, no tools"))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--no-tools", "--format", "json", "x", cwd=repo)
    assert code == 0, err
    assert json.loads(out)["text"] == "ok, no tools"


async def test_text_format_shows_a_sub_agents_tool_calls_indented(llm, repo, config_file):
    configure(config_file, llm)
    llm.route('"content": "SUB-PROMPT"', Reply(calls=[Call("list_dir", {})]), Reply(text="the sub-agent looked"))
    llm.script(Reply(calls=[Call("task", {"description": "look", "prompt": "SUB-PROMPT"})]), Reply(text="Done."))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--yolo", "delegate", cwd=repo)
    assert code == 0, err
    assert out == "Done.\n"
    assert "  ↳ ✓ list_dir" in err and "✓ task look" in err
    assert err.index("↳ ✓ list_dir") < err.index("✓ task look")  # the sub-agent's work, then its call ends
