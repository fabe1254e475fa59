"""--no-commit, merge conflicts between parallel stories, one run per PRD at a time."""

import json

from codetether.ralph.state import RunLock, prd_id
from tests.agent.test_run_e2e import configure
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import done, git, key, log, make_repo, prd_flags, story, write, write_prd
from tests.ralph.test_run_e2e import ralph


async def test_no_commit_leaves_the_work_uncommitted_in_the_tree(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Base"), story("US-002", "On top", depends_on=["US-001"])])
    llm.route(key("US-001"), write("base.py", "N = 2\n"), done("base", []))
    test = "from top import M\n\n\ndef test_m():\n    assert M == 4\n"
    llm.route(
        key("US-002"),
        write("top.py", "from base import N\n\nM = N * 2\n"),  # needs US-001's work in its worktree
        write("tests/test_top.py", test),
        done("top", []),
    )
    memory = tmp_path / "memory.txt"
    code, report, err = await ralph(repo, "--prd", str(prd), "--no-commit", "--progress", str(memory))
    assert code == 0, err
    assert "US-001: Base" in memory.read_text() and "US-002: On top" in memory.read_text()
    assert [s["result"] for s in report["stories"]] == ["passed", "passed"]
    assert log(repo) == ["init"] and git(repo, "branch", "--show-current") == "feature/calculator\n"
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == [
        "?? base.py", "?? prd.json", "?? tests/test_top.py", "?? top.py"
    ]  # fmt: skip
    assert prd_flags(prd) == {"US-001": True, "US-002": True}
    assert git(repo, "worktree", "list").count("\n") == 1 and git(repo, "branch", "--list", "ralph/*") == ""
    # the next run wants that work committed first
    code, _, err = await ralph(repo, "--prd", str(prd), "--no-commit")
    assert code == 1 and "the working tree has uncommitted changes (base.py, " in err


async def test_a_story_whose_merge_conflicts_is_redone_on_top_of_the_merged_work(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Left"), story("US-002", "Right")])
    for sid in ("US-001", "US-002"):
        llm.route(
            key(sid),
            write("shared.py", f"OWNER = {sid!r}\n"),
            done(sid, []),
            # only the story that lost the race gets here: a fresh agent on the new tip
            Reply(calls=[Call("read_file", {"file_path": "shared.py"})]),
            write("shared.py", "OWNER = 'both'\n"),
            done(f"{sid} again", []),
        )
    code, report, err = await ralph(repo, "--prd", str(prd), "--parallel", "2")
    assert code == 0, err
    results = {s["id"]: s for s in report["stories"]}
    assert {s["result"] for s in results.values()} == {"passed"}
    loser = next(sid for sid, s in results.items() if s["iterations"] == 2)
    retry = [b for b in map(json.dumps, (r.body for r in llm.requests)) if key(loser) in b][2]
    assert "an earlier attempt at this story could not be merged: it conflicted in shared.py" in retry
    assert (repo / "shared.py").read_text() == "OWNER = 'both'\n" and git(repo, "status", "--porcelain") == ""
    assert prd_flags(prd) == {"US-001": True, "US-002": True}
    assert git(repo, "branch", "--list", "ralph/*") == ""


async def test_parallel_stories_that_conflict_keep_the_loser_on_its_branch(llm, tmp_path, config_file):
    """With no attempt left for a retry, the conflicting story fails and its work stays on its branch."""
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Left"), story("US-002", "Right")])
    for sid in ("US-001", "US-002"):
        llm.route(key(sid), write("shared.py", f"OWNER = {sid!r}\n"), done(sid, []))
    code, report, err = await ralph(repo, "--prd", str(prd), "--parallel", "2", "--max-iterations", "2")
    assert code == 4, err
    results = {s["id"]: s for s in report["stories"]}
    winner = next(sid for sid, s in results.items() if s["result"] == "passed")
    loser = next(sid for sid, s in results.items() if s["result"] == "failed")
    branch = f"ralph/{report['prd_id']}/{loser}"
    assert results[loser]["error"] == f"merge conflict in shared.py; the work is kept on branch {branch}"
    assert (repo / "shared.py").read_text() == f"OWNER = {winner!r}\n"
    assert git(repo, "status", "--porcelain") == ""  # the failed merge was aborted
    assert git(repo, "show", f"{branch}:shared.py") == f"OWNER = {loser!r}\n"
    assert prd_flags(prd) == {winner: True, loser: False}
    assert f"{loser}: {'Left' if loser == 'US-001' else 'Right'}" not in log(repo)


async def test_one_run_per_prd_at_a_time(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "One")])
    feature = json.loads(prd.read_text())["feature"]
    with RunLock(prd_id(prd, feature)):
        code, _, err = await ralph(repo, "--prd", str(prd))
    assert code == 1 and err.strip() == (
        "error: another Ralph run is working on this PRD (wait for it to finish (`codetether ralph status`))"
    )
    assert not llm.requests
