"""Quality checks and verification steps run for real: exit status, output, files, HTTP, escapes, timeouts."""

import os

from aiohttp import web

from codetether.ralph.checks import Checker, run_all, trim
from codetether.ralph.prd import FileExistsStep, QualityChecks, ShellStep, UrlStep


def checker(timeout=30.0):
    return Checker({"PATH": os.environ["PATH"]}, timeout)


async def test_quality_checks_run_in_order_and_report_trimmed_failures(tmp_path):
    checks = QualityChecks(test="echo tests ok", lint="python -c 'print(\"x\" * 9000); raise SystemExit(3)'")
    names = []
    results = await run_all(checker(), checks, [], tmp_path, names.append)
    assert names == ["lint", "test"] and [r.ok for r in results] == [False, True]
    lint = results[0]
    assert lint.output.startswith("$ python -c") and "exit status 3" in lint.output
    assert "characters cut" in lint.output and len(lint.output) < 4500


async def test_shell_step_expectations(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "made.txt").write_text("x")
    steps = [
        ShellStep(command="pwd; echo hello", cwd="sub", expect_output_contains=["hello", "/sub"],
                  expect_files_glob=["sub/*.txt"]),
        ShellStep(name="wrong", command="echo bye", expect_output_contains=["hello"], expect_files_glob=["*.md"]),
        ShellStep(name="escape", command="true", cwd="../.."),
        ShellStep(name="outside glob", command="true", expect_files_glob=["../*"]),
    ]  # fmt: skip
    results = await run_all(checker(), QualityChecks(), steps, tmp_path)
    assert [(r.name, r.ok) for r in results] == [
        ("shell#1", True), ("wrong", False), ("escape", False), ("outside glob", False)
    ]  # fmt: skip
    assert "output lacks 'hello'; no file matches '*.md'" in results[1].output
    assert results[2].output == "cwd '../..' is not a directory inside the worktree"


async def test_file_exists_steps(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("")
    steps = [
        FileExistsStep(path="pkg/mod.py"),
        FileExistsStep(path="pkg/**/*.py", glob=True),
        FileExistsStep(path="missing.py"),
        FileExistsStep(path="/etc/passwd"),
        FileExistsStep(path="../../etc/*", glob=True),
    ]
    results = await run_all(checker(), QualityChecks(), steps, tmp_path)
    assert [r.ok for r in results] == [True, True, False, False, False]
    assert results[3].output == "'/etc/passwd' points outside the worktree"


async def test_url_steps_against_a_loopback_server(tmp_path):
    async def health(request):
        return web.Response(text="status: ok", status=200 if request.method == "GET" else 201)

    app = web.Application()
    app.router.add_route("*", "/health", health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    try:
        steps = [
            UrlStep(url=f"{base}/health", expect_body_contains=["ok"]),
            UrlStep(url=f"{base}/health", method="POST", expect_status=201),
            UrlStep(url=f"{base}/nope"),
            UrlStep(url=f"{base}/health", expect_body_contains=["ready"]),
        ]
        results = await run_all(checker(), QualityChecks(), steps, tmp_path)
    finally:
        await runner.cleanup()
    assert [r.ok for r in results] == [True, True, False, False]
    assert f"GET {base}/nope: status 404, expected 200" in results[2].output
    assert "body lacks 'ready'" in results[3].output
    refused = await run_all(checker(), QualityChecks(), [UrlStep(url=f"{base}/health", timeout_secs=2)], tmp_path)
    assert refused[0].ok is False and "ClientConnectorError" in refused[0].output


async def test_a_hanging_check_is_killed_at_its_timeout(tmp_path):
    pidfile = tmp_path / "pid"
    results = await run_all(checker(timeout=1), QualityChecks(test=f"sleep 300 & echo $! > {pidfile}; wait"), [],
                            tmp_path)  # fmt: skip
    assert results[0].ok is False and "timed out" in results[0].output
    from tests.ralph.test_resume import alive

    assert not alive(int(pidfile.read_text()))


def test_trim_keeps_head_and_tail():
    text = "a" * 100 + "b" * 100
    assert trim(text, 10, 10) == "a" * 10 + "\n[... 180 characters cut ...]\n" + "b" * 10
    assert trim("short", 10, 10) == "short"
