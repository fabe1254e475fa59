"""Starting a language server runs the project's code, so the lsp tool asks the permission gate first.

A real pylsp (python-lsp-server, a dev dependency) is the server; whether it started is read from the
process table (the agent's descendants), and a recorded asker shows the exact command line it was asked
about. A fake ``rust-analyzer`` (tests/fakes/lsp_server.py behind a script of that name on PATH) shows
the options a server is started with.
"""

import asyncio
import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from codetether.config import Config
from codetether.config.schema import AgentSection
from codetether.security.permissions import AccessMode, PermissionRequest
from codetether.tools.lsp import NO_PROJECT_CODE

from .conftest import Harness

FAKE_LSP = Path(__file__).parents[1] / "fakes" / "lsp_server.py"


def descendants(pid: int) -> list[str]:
    """The command lines of every process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        try:
            found.append((Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
        todo += children.get(child, [])
    return found


def pylsp_running() -> bool:
    return any("pylsp" in line for line in descendants(os.getpid()))


class Asker:
    """Answers every permission question with ``answer`` and records the questions."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.questions: list[PermissionRequest] = []

    async def __call__(self, request: PermissionRequest) -> str:
        self.questions.append(request)
        return self.answer


@pytest.fixture
def pylsp_line() -> str:
    pytest.importorskip("pylsp", reason="python-lsp-server is a dev dependency")
    beside = Path(sys.executable).parent / "pylsp"
    assert beside.is_file(), "pylsp is installed beside the interpreter"
    return shlex.join([str(beside)])


@pytest.fixture
def python_files(workspace: Path) -> Path:
    (workspace / "lib.py").write_text('def area(r):\n    """Circle area."""\n    return 3.14 * r * r\n')
    (workspace / "use.py").write_text("from lib import area\n\nprint(area(2))\n")
    return workspace


async def test_a_declined_server_is_never_started(python_files, pylsp_line):
    asker = Asker("no")
    harness = Harness(python_files, mode=AccessMode.APPROVE, ask=asker)
    try:
        out = await harness.error("lsp", operation="symbols", file_path="lib.py")
        assert "the user declined lsp" in out
        assert asker.questions == [PermissionRequest("lsp", pylsp_line, "execute")]
        assert not harness.context.state.lsp_clients and not pylsp_running()
        # Declining is not remembered: the next call asks again, and still starts nothing.
        await harness.error("lsp", operation="hover", file_path="use.py", line=3, character=7)
        assert len(asker.questions) == 2 and not pylsp_running()
    finally:
        await harness.context.aclose()


async def test_a_run_that_cannot_ask_starts_no_server(python_files, pylsp_line):
    harness = Harness(python_files, mode=AccessMode.APPROVE)
    try:
        out = await harness.error("lsp", operation="symbols", file_path="lib.py")
        assert f"permission denied: lsp on {pylsp_line}" in out and "non-interactive" in out
        assert not pylsp_running()
    finally:
        await harness.context.aclose()


async def test_allowed_once_the_server_serves_the_session_without_asking_again(python_files, pylsp_line):
    asker = Asker("yes")
    harness = Harness(python_files, mode=AccessMode.APPROVE, ask=asker)
    try:
        assert "function area (line 1)" in await harness.ok("lsp", operation="symbols", file_path="lib.py")
        assert asker.questions == [PermissionRequest("lsp", pylsp_line, "execute")]
        assert pylsp_running()
        assert "area" in await harness.ok("lsp", operation="hover", file_path="use.py", line=3, character=7)
        assert "lib.py:1:" in await harness.ok("lsp", operation="definition", file_path="use.py", line=3, character=7)
        assert len(asker.questions) == 1  # the one question, for the whole session
    finally:
        await harness.context.aclose()
    assert not pylsp_running()


async def test_parallel_first_calls_ask_once(python_files, pylsp_line):
    asker = Asker("yes")
    harness = Harness(python_files, mode=AccessMode.ASK, ask=asker)
    try:
        outs = await asyncio.gather(
            harness.ok("lsp", operation="symbols", file_path="lib.py"),
            harness.ok("lsp", operation="symbols", file_path="use.py"),
        )
        assert "function area" in outs[0]
        assert asker.questions == [PermissionRequest("lsp", pylsp_line, "execute")]
        assert len(harness.context.state.lsp_clients) == 1
    finally:
        await harness.context.aclose()


async def test_full_access_never_asks(python_files, pylsp_line):
    asker = Asker("no")
    harness = Harness(python_files, mode=AccessMode.FULL, ask=asker)
    try:
        assert "function area (line 1)" in await harness.ok("lsp", operation="symbols", file_path="lib.py")
        assert asker.questions == [] and pylsp_running()
    finally:
        await harness.context.aclose()


async def test_a_rule_denies_the_server_even_with_full_access(python_files, pylsp_line):
    harness = Harness(python_files, mode=AccessMode.FULL, rules={"lsp": {"*pylsp*": "deny"}})
    try:
        assert "a permission rule denies it" in await harness.error("lsp", operation="symbols", file_path="lib.py")
        assert not pylsp_running()
    finally:
        await harness.context.aclose()


@pytest.fixture
def fake_rust_analyzer(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A ``rust-analyzer`` first on PATH that records what it receives; -> (its path, the record)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "rust-analyzer"
    marker = tmp_path / "started.json"
    script.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_LSP))} {marker}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_LSP_MESSAGES", str(tmp_path / "messages.jsonl"))  # tools start from this environment
    return script, tmp_path / "messages.jsonl"


def _initialize(record: Path) -> dict:
    messages = [json.loads(line) for line in record.read_text().splitlines()]
    return next(m for m in messages if m.get("method") == "initialize")["params"]


@pytest.mark.parametrize("opted_in", [False, True])
async def test_rust_analyzer_starts_without_build_scripts_or_proc_macros(workspace, fake_rust_analyzer, opted_in):
    script, record = fake_rust_analyzer
    (workspace / "main.rs").write_text("fn main() {}\n")
    asker = Asker("yes")
    settings = Config(agent=AgentSection(lsp_project_code=opted_in))
    harness = Harness(workspace, mode=AccessMode.APPROVE, ask=asker, settings=settings)
    try:
        await harness.ok("lsp", operation="hover", file_path="main.rs")
        assert asker.questions == [PermissionRequest("lsp", shlex.join([str(script)]), "execute")]
        options = _initialize(record).get("initializationOptions")
        assert options == (None if opted_in else NO_PROJECT_CODE["rust-analyzer"])
        if not opted_in:
            assert options["cargo"]["buildScripts"]["enable"] is False and options["procMacro"]["enable"] is False
    finally:
        await harness.context.aclose()


async def test_a_declined_rust_analyzer_never_runs(workspace, fake_rust_analyzer):
    script, record = fake_rust_analyzer
    (workspace / "main.rs").write_text("fn main() {}\n")
    (workspace / "build.rs").write_text('fn main() { std::fs::write("pwned", "").unwrap(); }\n')
    harness = Harness(workspace, mode=AccessMode.APPROVE, ask=Asker("no"))
    try:
        await harness.error("lsp", operation="hover", file_path="main.rs")
        assert not (script.parent.parent / "started.json").exists() and not record.exists()
    finally:
        await harness.context.aclose()
