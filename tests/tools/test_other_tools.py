"""bash, todo, batch, question, skill, plan mode, image, web tools, lsp, and the runner's own checks."""

import pytest
from aiohttp import web

from codetether.config import Config, WebSearchSection
from codetether.security.permissions import AccessMode
from codetether.tools.bash import ToolOutput
from tests.procs import exited

from .conftest import Harness

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


async def test_bash_output_and_exit_code(tools, workspace):
    out = await tools.ok("bash", command="echo out; echo err >&2; exit 3")
    assert "out" in out and "err" in out and "[exit code 3]" in out
    (workspace / "sub").mkdir()
    assert "sub" in await tools.ok("bash", command="basename $(pwd)", workdir="sub")
    assert any(isinstance(e, ToolOutput) for e in tools.events)  # output was streamed as it came


async def test_bash_timeout_kills_the_whole_process_group(tools, workspace):
    out = await tools.ok("bash", command="(sleep 1000; touch late-grandchild) & echo bg=$!; sleep 1000", timeout=1)
    assert "timed out after 1s" in out
    background = int(out.split("bg=", 1)[1].split()[0])
    assert await exited(background)  # the backgrounded grandchild died with the group...
    assert not (workspace / "late-grandchild").exists()  # ...before it could act


async def test_bash_output_is_capped(tools):
    out = await tools.ok("bash", command="seq 1 200000")
    assert "cut from the middle" in out and out.rstrip().endswith("[exit code 0]") and "200000" in out


async def test_bash_needs_permission_when_it_cannot_ask(workspace):
    harness = Harness(workspace, mode=AccessMode.ASK)
    out = await harness.error("bash", command="touch x")
    assert "permission denied" in out and "non-interactive" in out
    assert not (workspace / "x").exists()
    approve = Harness(workspace, mode=AccessMode.APPROVE)
    assert "permission denied" in await approve.error("bash", command="touch x")
    assert "created" in await approve.ok("write_file", file_path="y.txt", content="y")


async def test_permission_rules_last_match_wins(workspace):
    rules = {"bash": {"git *": "allow", "git push*": "deny", "echo *": "allow"}}
    harness = Harness(workspace, mode=AccessMode.ASK, rules=rules)
    assert "[exit code 0]" in await harness.ok("bash", command="git status --short")
    assert "a permission rule denies it" in await harness.error("bash", command="git push origin main")
    full = Harness(workspace, mode=AccessMode.FULL, rules={"bash": {"rm -rf *": "deny"}})
    assert "permission denied" in await full.error("bash", command="rm -rf /tmp/nothing-here")


async def test_interactive_permission_answers(workspace):
    answers = iter(["no", "always"])
    asked = []

    async def ask(request):
        asked.append(request.subject)
        return next(answers)

    harness = Harness(workspace, mode=AccessMode.ASK, ask=ask)
    assert "declined" in await harness.error("bash", command="echo one")
    await harness.ok("bash", command="echo two")
    await harness.ok("bash", command="echo two")  # "always" remembered: not asked again
    assert asked == ["echo one", "echo two"]


async def test_todo_write_and_read(tools):
    todos = [
        {"id": "1", "content": "write tests", "status": "completed"},
        {"id": "2", "content": "fix bug", "status": "in_progress", "priority": "high"},
    ]
    out = await tools.ok("todo_write", todos=todos)
    assert "[x] 1: write tests" in out and "[~] 2: fix bug (high)" in out
    assert out == await tools.ok("todo_read")
    assert "unique" in await tools.error("todo_write", todos=[todos[0], todos[0]])
    assert "Invalid enum value" in await tools.error(
        "todo_write", todos=[{"id": "1", "content": "x", "status": "done"}]
    )


async def test_batch_runs_calls_and_refuses_nesting(tools, workspace):
    (workspace / "a.txt").write_text("A\n")
    out = await tools.ok(
        "batch",
        calls=[{"tool": "read_file", "parameters": {"file_path": "a.txt"}}, {"tool": "nope", "parameters": {}}],
    )
    assert "## 1. read_file (ok)" in out and "A" in out and "## 2. nope (error)" in out and "invalid tool" in out
    assert "cannot contain batch" in await tools.error("batch", calls=[{"tool": "batch", "parameters": {}}])


async def test_question_needs_a_person(tools, workspace):
    assert "non-interactive" in await tools.error("question", question="Which database?")

    async def answer(question, options):
        return options[1]

    harness = Harness(workspace, question=answer)
    assert "The user answered: sqlite" in await harness.ok("question", question="Which DB?", options=["pg", "sqlite"])


async def test_skill(tools, workspace):
    (workspace / ".codetether" / "skills").mkdir(parents=True)
    (workspace / ".codetether" / "skills" / "release.md").write_text("1. bump version\n2. tag\n")
    assert "bump version" in await tools.ok("skill", name="release")
    assert "available skills: release" in await tools.error("skill", name="deploy")
    assert "invalid skill name" in await tools.error("skill", name="../etc/passwd")


async def test_plan_mode_blocks_changes(tools, workspace):
    await tools.ok("plan_enter")
    assert "not available in plan mode" in await tools.error("write_file", file_path="p.txt", content="x")
    assert "not available in plan mode" in await tools.error("bash", command="true")
    await tools.ok("glob", pattern="*")
    assert "Plan:\nstep 1" in await tools.ok("plan_exit", plan="step 1")
    await tools.ok("write_file", file_path="p.txt", content="x")
    assert "not in plan mode" in await tools.error("plan_exit")


async def test_image(tools, workspace):
    (workspace / "shot.png").write_bytes(PNG)
    (workspace / "notes.txt").write_text("text")
    outcome = await tools.call("image", file_path="shot.png")
    assert not outcome.is_error and outcome.metadata["image"]["media_type"] == "image/png"
    assert "not a PNG" in await tools.error("image", file_path="notes.txt")


async def test_runner_rejects_unknown_tools_and_bad_arguments(tools):
    assert "invalid tool 'teleport'" in await tools.error("teleport")
    out = await tools.error("read_file", file_path="a", colour="red")
    assert "invalid arguments for read_file" in out and "colour" in out
    assert "invalid arguments" in await tools.error("read_file", file_path=5)


# --- web --------------------------------------------------------------------------------------------


@pytest.fixture
async def site():
    async def page(request):
        return web.Response(
            text="<html><head><style>p{}</style></head><body><h1>Docs</h1><p>Use <b>codetether</b>.</p>"
            "<script>alert(1)</script></body></html>",
            content_type="text/html",
        )

    async def search(request):
        q = request.query["q"]
        return web.json_response({"results": [{"title": f"About {q}", "url": "http://x/1", "content": "snippet"}]})

    app = web.Application()
    app.router.add_get("/page", page)
    app.router.add_get("/search", search)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    yield f"http://127.0.0.1:{tcp._server.sockets[0].getsockname()[1]}"
    from codetether.providers.http import close_shared_session

    await close_shared_session()
    await runner.cleanup()


async def test_webfetch(tools, site):
    markdown = await tools.ok("webfetch", url=f"{site}/page")
    assert "# Docs" in markdown and "**codetether**" in markdown and "alert" not in markdown
    assert "Use codetether ." in await tools.ok("webfetch", url=f"{site}/page", format="text")
    assert "HTTP 404" in await tools.error("webfetch", url=f"{site}/missing")
    assert "only http and https" in await tools.error("webfetch", url="file:///etc/passwd")


async def test_websearch_backends(tools, workspace, site):
    assert "no websearch backend is configured" in await tools.error("websearch", query="python")
    harness = Harness(workspace, settings=Config(websearch=WebSearchSection(backend="searxng", url=site)))
    out = await harness.ok("websearch", query="asyncio")
    assert "1. About asyncio" in out and "http://x/1" in out


async def test_network_tools_ask_in_ask_mode(workspace, site):
    harness = Harness(workspace, mode=AccessMode.ASK)
    assert "permission denied" in await harness.error("webfetch", url=f"{site}/page")


# --- lsp --------------------------------------------------------------------------------------------


async def test_lsp_against_python_lsp_server(tools, workspace):
    pytest.importorskip("pylsp", reason="python-lsp-server is a dev dependency")
    (workspace / "lib.py").write_text('def area(r):\n    """Circle area."""\n    return 3.14 * r * r\n')
    (workspace / "use.py").write_text("from lib import area\n\nprint(area(2))\n")
    (workspace / "bad.py").write_text("def broken(:\n    pass\n")
    definition = await tools.ok("lsp", operation="definition", file_path="use.py", line=3, character=7)
    assert "lib.py:1:" in definition
    hover = await tools.ok("lsp", operation="hover", file_path="use.py", line=3, character=7)
    assert "area" in hover
    symbols = await tools.ok("lsp", operation="symbols", file_path="lib.py")
    assert "function area (line 1)" in symbols
    references = await tools.ok("lsp", operation="references", file_path="lib.py", line=1, character=5)
    assert "lib.py:1:" in references
    diagnostics = await tools.ok("lsp", operation="diagnostics", file_path="bad.py")
    assert "1:13 error pyflakes: invalid syntax" in diagnostics
    (workspace / "notes.txt").write_text("plain\n")
    assert "no language server is known" in await tools.error("lsp", operation="symbols", file_path="notes.txt")


async def test_compound_commands_need_every_part_allowed(workspace):
    rules = {"bash": {"git status*": "allow", "echo *": "allow", "git push*": "deny"}}
    harness = Harness(workspace, mode=AccessMode.ASK, rules=rules)
    await harness.ok("bash", command="git status && echo ok")
    assert "permission denied" in await harness.error("bash", command="git status; touch pwned")
    assert "permission denied" in await harness.error("bash", command="git status && git push --force")
    assert "permission denied" in await harness.error("bash", command="echo $(touch pwned)")
    assert not (workspace / "pwned").exists()
    full = Harness(workspace, mode=AccessMode.FULL, rules={"bash": {"rm *": "deny"}})
    assert "a permission rule denies it" in await full.error("bash", command="true && rm -f x")


async def test_path_rules_see_every_path_normalised(workspace):
    (workspace / "secrets").mkdir()
    (workspace / "secrets" / "key").write_text("k\n")
    (workspace / "a.py").write_text("a = 1\n")
    harness = Harness(workspace, mode=AccessMode.FULL, rules={"edit": {"secrets/*": "deny"}})
    await harness.ok("read_file", file_path="a.py")
    await harness.ok("read_file", file_path="secrets/key")
    for spelling in ("./secrets/key", str(workspace / "secrets" / "key"), "sub/../secrets/key"):
        out = await harness.error("write_file", file_path=spelling, content="x")
        assert "permission denied" in out, spelling
    out = await harness.error(
        "multiedit",
        edits=[
            {"file_path": "a.py", "old_string": "a = 1", "new_string": "a = 2"},
            {"file_path": "secrets/key", "old_string": "k", "new_string": "stolen"},
        ],
    )
    assert "permission denied" in out and (workspace / "a.py").read_text() == "a = 1\n"
    patch = "*** Begin Patch\n*** Update File: a.py\n*** Move to: secrets/a.py\n@@\n-a = 1\n+a = 3\n*** End Patch\n"
    assert "permission denied" in await harness.error("apply_patch", patch=patch)


async def test_delegating_tools_run_alone_and_task_is_refused_in_plan_mode(tools):
    assert not tools.runner.is_read_only("batch") and not tools.runner.is_read_only("task")
    await tools.ok("plan_enter")
    assert "not available in plan mode" in await tools.error("task", description="x", prompt="y")
    out = await tools.ok("batch", calls=[{"tool": "bash", "parameters": {"command": "true"}}])
    assert "not available in plan mode" in out


async def test_bash_timeout_holds_after_stdout_closes(tools):
    # Without the deadline on the process itself this would wait for `sleep` and end "[exit code 0]".
    out = await tools.ok("bash", command="exec >/dev/null 2>&1; sleep 1000", timeout=0.5)
    assert out.endswith("[timed out after 0.5s; the command and its process group were killed]")


def test_truncation_keeps_something_of_one_enormous_line():
    from codetether.tools.runner import truncate

    out = truncate("{" + "x" * 100_000 + "}")
    assert out.startswith("{xxx") and out.endswith("x}") and "characters cut from the middle" in out
    assert len(out) < 31_000
