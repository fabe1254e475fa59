"""`codetether ralph run` end to end: a real git repo, a real pytest suite, the fake LLM server.

Story agents really write files through the tools; the quality checks and verification steps
really run; commits, merges, the PRD and progress.txt are inspected in the repository afterwards.
"""

import json
import re

from tests.agent.test_run_e2e import configure, run_cli
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import SUB, SUB_TEST, done, git, key, log, make_repo, prd_flags, story, write, write_prd

SHOUT = "def shout(s):\n    return s.upper() + '!'\n"
SHOUT_TEST = "from strutil import shout\n\n\ndef test_shout():\n    assert shout('hi') == 'HI!'\n"
MUL_BUGGY = "def mul(a, b):\n    return a * b + 1\n"
MUL = "def mul(a, b):\n    return a * b\n"
MUL_TEST = "from calc_mul import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
POW = (
    "from calc_mul import mul\n\n\ndef power(a, n):\n    out = 1\n    for _ in range(n):\n        out = mul(out, a)\n"
    "    return out\n"
)


async def ralph(repo, *args, timeout=240, env=None):
    code, out, err = await run_cli(
        "ralph", "run", "--model", "fake/fake-large", "--json", "--yolo", *args, cwd=repo, timeout=timeout, env=env
    )
    return code, (json.loads(out) if out.strip() else None), err


def bodies(llm, sid: str) -> list[str]:
    return [json.dumps(r.body) for r in llm.requests if key(sid) in json.dumps(r.body)]


async def test_four_stories_parallel_dependent_and_repaired(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    mark = tmp_path / "us002-started"
    prd = write_prd(
        repo,
        [
            story("US-001", "Subtraction"),
            story("US-002", "Shouting"),
            story("US-003", "Multiplication", depends_on=["US-001"], priority=2),
            story(
                "US-004",
                "Powers",
                depends_on=["US-003"],
                priority=3,
                steps=[
                    {"type": "shell", "command": "python -c 'from calc_pow import power; print(power(2, 5))'",
                     "expect_output_contains": ["32"], "name": "power works"},
                    {"type": "file_exists", "path": "calc_pow.py"},
                ],
            ),
        ],
    )  # fmt: skip
    wait = f"for i in $(seq 1200); do if [ -f {mark} ]; then echo US-002 is running; exit 0; fi; sleep 0.05; done"
    llm.route(
        key("US-001"),
        # US-001 waits until US-002's agent has started: only a parallel run gets past this
        Reply(calls=[Call("bash", {"command": wait, "timeout": 120})]),
        write("calc_sub.py", SUB),
        write("tests/test_sub.py", SUB_TEST),
        done("Added sub() in calc_sub.py", ["modules live at the top level; tests in tests/"]),
    )
    llm.route(
        key("US-002"),
        Reply(calls=[Call("bash", {"command": f"touch {mark}"})]),
        write("strutil.py", SHOUT),
        write("tests/test_shout.py", SHOUT_TEST),
        done("Added shout()", ["string helpers go in strutil.py"]),
    )
    llm.route(
        key("US-003"),
        write("calc_mul.py", MUL_BUGGY),
        write("tests/test_mul.py", MUL_TEST),
        Reply(text="Multiplication is done."),  # no JSON block yet: checks fail first anyway
        write("calc_mul.py", MUL),  # the repair round
        done("Added mul(); fixed an off-by-one", ["run the tests before finishing"]),
    )
    llm.route(
        key("US-004"),
        write("calc_pow.py", POW),
        Reply(text="Done."),  # no JSON block: Ralph asks for it once
        done("Added power() on top of mul()", []),
    )
    code, report, err = await ralph(repo, "--prd", str(prd), "--parallel", "2", "--max-repairs", "1")
    assert code == 0, err
    results = {s["id"]: s for s in report["stories"]}
    assert {k: v["result"] for k, v in results.items()} == dict.fromkeys(results, "passed")
    assert {k: v["iterations"] for k, v in results.items()} == {"US-001": 1, "US-002": 1, "US-003": 2, "US-004": 1}
    assert report["passed"] == report["total"] == 4 and report["stop_reason"] == "every story passes"
    assert all(s["input_tokens"] > 0 and s["seconds"] > 0 for s in report["stories"])
    assert [c["name"] for c in results["US-004"]["checks"]] == ["test", "power works", "file_exists#2"]

    # the two independent stories ran at once
    assert any("US-002 is running" in b for b in bodies(llm, "US-001"))
    # the repair round got the failing test's output; the first prompt had no failure in it
    us3 = bodies(llm, "US-003")
    assert "assert 7 == 6" in us3[3] and "Ralph ran the checks on your work for story US-003" in us3[3]
    # US-003 started after US-001 passed: progress.txt (its memory) already held US-001's entry
    assert "Added sub() in calc_sub.py" in us3[0] and "modules live at the top level" in us3[0]

    # the PRD: every story passes; the user's tree is on the PRD's branch, clean, with all the work
    assert prd_flags(prd) == dict.fromkeys(results, True)
    assert git(repo, "branch", "--show-current").strip() == "feature/calculator"
    assert git(repo, "status", "--porcelain") == ""
    assert (repo / "calc_mul.py").read_text() == MUL and (repo / "calc_pow.py").read_text() == POW
    # commits: one per story naming its id and title, merged, plus Ralph's PRD/progress commits
    subjects = log(repo)
    for sid, title in [("US-001", "Subtraction"), ("US-002", "Shouting"), ("US-003", "Multiplication"),
                       ("US-004", "Powers")]:  # fmt: skip
        assert subjects.count(f"{sid}: {title}") == 1
        assert subjects.count(f"ralph: {sid} passed ({title})") == 1
    assert subjects.index("US-004: Powers") < subjects.index("US-003: Multiplication")  # newest first
    # the failing version of mul() was never committed anywhere
    assert git(repo, "log", "--all", "-p", "-S", "a * b + 1", "--format=%H") == ""
    # nothing left over: no worktree, no story branch
    assert git(repo, "worktree", "list").count("\n") == 1
    assert git(repo, "branch", "--list", "ralph/*") == ""

    progress = (repo / "progress.txt").read_text()
    entries = re.findall(r"^## (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC) - (US-00\d): (\w+)$", progress, re.M)
    assert sorted(e[1] for e in entries) == ["US-001", "US-002", "US-003", "US-004"]
    assert "- run the tests before finishing" in progress and "Added power() on top of mul()" in progress
    assert "**Status:** passed after 2 iteration(s); checks: test ok" in progress
    # progress.txt and the PRD are committed with the work
    assert git(repo, "show", "HEAD:progress.txt") == progress

    # a rerun has nothing to do
    requests = len(llm.requests)
    code, again, err = await ralph(repo, "--prd", str(prd))
    assert code == 0, err
    assert {s["result"] for s in again["stories"]} == {"already-passed"} and len(llm.requests) == requests


async def test_a_story_whose_checks_fail_is_never_passed_or_committed(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Broken"), story("US-002", "After", depends_on=["US-001"])])
    llm.route(
        key("US-001"),
        Reply(calls=[Call("read_file", {"file_path": "calc.py"})]),
        write("calc.py", "def add(a, b):\n    return a - b\n"),
        done("changed add", []),
        write("calc.py", "def add(a, b):\n    return a * b\n"),
        done("changed add again", []),
    )
    code, report, err = await ralph(repo, "--prd", str(prd), "--max-repairs", "1")
    assert code == 4, err
    first, second = report["stories"]
    assert first["result"] == "failed" and first["iterations"] == 2, json.dumps(report)
    assert first["error"] == "checks still failing after 2 iteration(s): test"
    assert first["checks"][0]["ok"] is False and "assert 6 == 5" in first["checks"][0]["output"]
    assert second["result"] == "blocked" and second["error"] == "waits on US-001, which did not pass"
    assert report["stop_reason"] == "US-001 did not pass; nothing else is ready: US-002 waits on US-001"
    assert prd_flags(prd) == {"US-001": False, "US-002": False}
    assert log(repo) == ["init"] and git(repo, "status", "--porcelain") == "?? prd.json\n"
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert not (repo / "progress.txt").exists()
    # its worktree is kept for inspection, with the failed work in it
    kept = first["worktree"]
    assert "return a * b" in (tmp_path / kept / "calc.py").read_text()
    assert not bodies(llm, "US-002")


async def test_refuses_uncommitted_changes_and_non_git_directories(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "One")])
    (repo / "calc.py").write_text("# my own edit\n")
    code, report, err = await ralph(repo, "--prd", str(prd))
    assert code == 1 and report is None
    assert err.strip() == (
        "error: the working tree has uncommitted changes (calc.py) (commit or stash them first: "
        "Ralph merges the stories it finishes into this tree)"
    )
    assert (repo / "calc.py").read_text() == "# my own edit\n" and git(repo, "branch", "--show-current") == "main\n"
    plain = tmp_path / "plain"
    plain.mkdir()
    prd = write_prd(plain, [story("US-001", "One")])
    code, _, err = await ralph(plain, "--prd", str(prd))
    assert code == 1 and "is not in a git repository" in err and err.count("\n") == 1
    assert not llm.requests
