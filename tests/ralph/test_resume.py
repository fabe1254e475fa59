"""Story timeouts, kill -9 mid-story and resuming, and the original tool's template PRD run for real."""

import asyncio
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys

import pytest

from tests.agent.test_run_e2e import configure
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import done, git, key, log, make_repo, prd_flags, story, write, write_prd
from tests.ralph.test_prd import RUST_TEMPLATE
from tests.ralph.test_run_e2e import ralph


async def wait_for_file(path, proc, limit=120.0):
    """Wait until ``path`` exists (the story is mid-way), failing early if the run ended first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not path.exists():
        assert proc.returncode is None, "the run ended before the story got going"
        assert loop.time() < deadline, f"{path} never appeared"
        await asyncio.sleep(0.05)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a reaper that is not there in some containers is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_story_timeout_stops_the_agent_and_keeps_the_worktree(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Slow"), story("US-002", "Quick")])
    pidfile = tmp_path / "sleep.pid"
    llm.route(key("US-001"), Reply(calls=[Call("bash", {"command": f"sleep 600 & echo $! > {pidfile}; wait"})]))
    llm.route(key("US-002"), write("quick.py", "X = 1\n"), done("quick", []))
    code, report, err = await ralph(repo, "--prd", str(prd), "--story-timeout", "20", "--parallel", "2")
    assert code == 4, err
    slow, quick = report["stories"]
    assert slow["result"] == "timeout" and slow["iterations"] == 1
    assert slow["error"] == f"timed out after 20s; its worktree is kept at {slow['worktree']}"
    assert os.path.isdir(slow["worktree"]) and quick["result"] == "passed"
    assert not alive(int(pidfile.read_text()))  # the agent's command died with it
    assert prd_flags(prd) == {"US-001": False, "US-002": True}
    assert "US-001: Slow" not in log(repo)
    status = subprocess.run(
        [sys.executable, "-m", "codetether", "ralph", "status", "--prd", str(prd), "--json"],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    current = json.loads(status.stdout)
    assert current["passed"] == 1 and current["total"] == 2 and current["running"] is False
    assert [(s["id"], s["passes"], s["last"]["result"]) for s in current["stories"]] == [
        ("US-001", False, "timeout"),
        ("US-002", True, "passed"),
    ]


async def test_kill_9_mid_story_then_resume_reruns_only_the_unfinished(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "First"), story("US-002", "Second", depends_on=["US-001"])])
    mark = tmp_path / "us002-mid-story"
    llm.route(key("US-001"), write("first.py", "A = 1\n"), done("first", ["kept"]))
    llm.route(
        key("US-002"),
        write("second.py", "B = 1\n"),
        Reply(calls=[Call("bash", {"command": f"touch {mark}; sleep 600"})]),
        # the resumed run's fresh agent:
        write("second.py", "B = 2\n"),
        done("second", []),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "codetether", "ralph", "run", "--prd", str(prd), "--model", "fake/fake-large",
        "--yolo", "--json", cwd=repo, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        await wait_for_file(mark, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
    assert prd_flags(prd) == {"US-001": True, "US-002": False}
    assert git(repo, "worktree", "list").count("\n") == 2  # the killed story's worktree is still registered
    first_requests = sum(key("US-001") in json.dumps(r.body) for r in llm.requests)

    code, report, err = await ralph(repo, "--prd", str(prd))
    assert code == 0, err
    assert [s["result"] for s in report["stories"]] == ["already-passed", "passed"]
    assert sum(key("US-001") in json.dumps(r.body) for r in llm.requests) == first_requests
    assert "removed" in err and "left by an earlier run that did not finish" in err
    assert (repo / "second.py").read_text() == "B = 2\n" and prd_flags(prd) == {"US-001": True, "US-002": True}
    subjects = log(repo)
    assert subjects.count("US-001: First") == 1 and subjects.count("US-002: Second") == 1
    assert git(repo, "worktree", "list").count("\n") == 1 and git(repo, "branch", "--list", "ralph/*") == ""
    assert git(repo, "status", "--porcelain") == ""


def _template(checks: dict) -> dict:
    prd = json.loads(json.dumps(RUST_TEMPLATE))
    prd["quality_checks"] = checks
    return prd


async def test_original_template_shape_runs(llm, tmp_path, config_file):
    """The original's create-prd template, its checks pointed at this Python repository."""
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd_path = repo / "prd.json"
    prd_path.write_text(json.dumps(_template({"typecheck": None, "test": "python -m pytest -q", "lint": None,
                                              "build": None})))  # fmt: skip
    llm.route(key("US-001"), write("feature.py", "ON = True\n"), done("added the feature flag", []))
    code, report, err = await ralph(repo, "--prd", str(prd_path))
    assert code == 0, err
    assert report["branch"] == "feature/my-feature" and report["stories"][0]["result"] == "passed"
    saved = json.loads(prd_path.read_text())
    assert saved["user_stories"][0]["passes"] is True
    assert saved["quality_checks"]["lint"] is None  # the file keeps the original's spelling
    assert "US-001: First user story" in log(repo)


def rust_env() -> dict[str, str] | None:
    """The toolchain's home directories (the tests run with a private HOME), or None without a usable cargo."""
    home = pwd.getpwuid(os.getuid()).pw_dir
    env = {"RUSTUP_HOME": os.environ.get("RUSTUP_HOME", f"{home}/.rustup"),
           "CARGO_HOME": os.environ.get("CARGO_HOME", f"{home}/.cargo")}  # fmt: skip
    cargo = shutil.which("cargo")
    if cargo is None:
        return None
    probe = subprocess.run([cargo, "clippy", "--version"], env={**os.environ, **env}, capture_output=True)
    return env if probe.returncode == 0 else None


@pytest.mark.skipif(rust_env() is None, reason="no Rust toolchain with clippy (cargo clippy) on this machine")
async def test_original_rust_template_runs_with_cargo(llm, tmp_path, config_file):
    """The original's create-prd template as it is, cargo check/test/clippy/build, on a real crate."""
    configure(config_file, llm)
    repo = tmp_path / "crate"
    (repo / "src").mkdir(parents=True)
    (repo / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n')
    (repo / "src" / "lib.rs").write_text("pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n")
    (repo / ".gitignore").write_text("/target\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t",
                                                               "commit", "-qm", "init"]):  # fmt: skip
        git(repo, *args)
    prd_path = repo / "prd.json"
    prd_path.write_text(json.dumps(RUST_TEMPLATE))
    lib = (
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\npub fn double(a: i32) -> i32 {\n    add(a, a)\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn doubles() {\n"
        "        assert_eq!(super::double(4), 8);\n    }\n}\n"
    )
    llm.route(
        key("US-001"),
        Reply(calls=[Call("read_file", {"file_path": "src/lib.rs"})]),
        write("src/lib.rs", lib),
        done("added double()", []),
    )
    code, report, err = await ralph(
        repo, "--prd", str(prd_path), "--story-timeout", "280", "--max-repairs", "0", timeout=300, env=rust_env()
    )
    assert code == 0, json.dumps(report)[-3000:] + err
    assert [c["name"] for c in report["stories"][0]["checks"]] == ["typecheck", "lint", "build", "test"]
    assert json.loads(prd_path.read_text())["user_stories"][0]["passes"] is True
    assert "US-001: First user story" in log(repo) and "double" in (repo / "src" / "lib.rs").read_text()


async def test_a_story_merged_before_a_kill_is_recorded_not_redone(llm, tmp_path, config_file):
    """The state a kill between a story's merge and its PRD write leaves: merged commit, flag still false."""
    from codetether.ralph.report import StoryResult
    from codetether.ralph.state import Landing, load_landing, prd_id, save_landing

    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Merged"), story("US-002", "Next", depends_on=["US-001"])])
    git(repo, "checkout", "-q", "-b", "feature/calculator")
    git(repo, "checkout", "-q", "-b", "work")
    (repo / "merged.py").write_text("M = 1\n")
    git(repo, "add", "merged.py")
    git(repo, "commit", "-qm", "US-001: Merged")
    commit = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "feature/calculator")
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "work")
    result = StoryResult(id="US-001", title="Merged", result="passed", iterations=1, summary="merged it")
    pid = prd_id(prd, "Calculator")
    save_landing(pid, Landing(story="US-001", commit=commit, result=result))
    llm.route(key("US-002"), write("next.py", "N = 1\n"), done("next", []))
    code, report, err = await ralph(repo, "--prd", str(prd))
    assert code == 0, err
    assert "US-001 was merged by a run that stopped before recording it: marked passed" in err
    assert [s["result"] for s in report["stories"]] == ["already-passed", "passed"]
    assert not any(key("US-001") in json.dumps(r.body) for r in llm.requests)
    assert (
        "US-001: Merged" in (repo / "progress.txt").read_text() and "merged it" in (repo / "progress.txt").read_text()
    )
    assert "ralph: US-001 passed (Merged)" in log(repo) and load_landing(pid) is None


async def test_an_unmerged_landing_record_reruns_the_story(llm, tmp_path, config_file):
    from codetether.ralph.report import StoryResult
    from codetether.ralph.state import Landing, prd_id, save_landing

    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Again")])
    orphan = git(repo, "commit-tree", "-m", "US-001: Again", git(repo, "rev-parse", "HEAD^{tree}").strip()).strip()
    result = StoryResult(id="US-001", title="Again", result="passed")
    save_landing(prd_id(prd, "Calculator"), Landing(story="US-001", commit=orphan, result=result))
    llm.route(key("US-001"), write("again.py", "A = 1\n"), done("again", []))
    code, report, err = await ralph(repo, "--prd", str(prd))
    assert code == 0, err
    assert report["stories"][0]["result"] == "passed" and "marked passed" not in err
