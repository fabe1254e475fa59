"""`codetether swarm` end to end: a real git repo, the fake LLM server, concurrent sub-agents."""

import json
import subprocess

from tests.agent.test_run_e2e import configure, run_cli
from tests.fakes.llm import Call, Fault, Reply

PLANNER = "You are the planner"
FIVE = {
    "subtasks": [
        {"name": "schema", "instruction": "Write schema.py", "specialty": "backend"},
        {"name": "docs", "instruction": "Write docs.md", "specialty": "docs"},
        {"name": "api", "instruction": "Write api.py using the schema", "depends_on": ["schema"]},
        {"name": "cli", "instruction": "Write cli.py using the schema", "depends_on": ["schema"]},
        {"name": "tests", "instruction": "Write test_app.py", "depends_on": ["api", "cli"]},
    ]
}
FILES = {"schema": "schema.py", "docs": "docs.md", "api": "api.py", "cli": "cli.py", "tests": "test_app.py"}


def script_subagents(server, names=FILES):
    for name in names:
        key = f"Your subtask '{name}'"
        content = f"# written by {name}\n"
        server.route(
            key,
            Reply(calls=[Call("write_file", {"file_path": FILES[name], "content": content})]),
            Reply(text=f"{name} done"),
        )


async def swarm(repo, *args):
    code, out, err = await run_cli(
        "swarm", "--model", "fake/fake-large", "--max-subagents", "5", "--json", *args, cwd=repo, timeout=120
    )
    return code, (json.loads(out) if out.strip() else None), err


def branches(repo) -> list[str]:
    out = subprocess.run(["git", "branch", "--list", "codetether/*"], cwd=repo, capture_output=True, text=True)
    return out.stdout.split()


async def test_five_subtasks_in_three_stages(llm, git_repo, config_file):
    configure(config_file, llm)
    llm.route(PLANNER, Reply(text=json.dumps(FIVE)))
    script_subagents(llm)
    code, report, err = await swarm(git_repo, "build the app")
    assert code == 0, err
    assert report["status"] == "done" and report["applied"]
    assert report["stages"] == [["schema", "docs"], ["api", "cli"], ["tests"]]
    for name, file in FILES.items():
        assert (git_repo / file).read_text() == f"# written by {name}\n"
    api_request = next(r for r in llm.requests if "Your subtask 'api'" in json.dumps(r.body))
    assert "Result of 'schema':\\nschema done" in json.dumps(api_request.body)
    assert branches(git_repo) == []
    assert (
        subprocess.run(["git", "worktree", "list"], cwd=git_repo, capture_output=True, text=True).stdout.count("\n")
        == 1
    )
    assert report["agent_seconds"] > 0 and report["speedup"] > 0


async def test_failing_subtask_skips_its_dependents(llm, git_repo, config_file):
    configure(config_file, llm)
    llm.route(PLANNER, Reply(text=json.dumps(FIVE)))
    script_subagents(llm, ["schema", "docs"])
    llm.route("Your subtask 'cli'", Fault("status", status=400))
    llm.route(
        "Your subtask 'api'",
        Reply(calls=[Call("write_file", {"file_path": "api.py", "content": "api\n"})]),
        Reply(text="api done"),
    )
    code, report, err = await swarm(git_repo, "build the app")
    assert code == 4, err
    status = {s["name"]: s for s in report["subtasks"]}
    assert status["cli"]["status"] == "failed" and "request rejected (400)" in status["cli"]["error"]
    assert status["tests"]["status"] == "skipped" and "cli" in status["tests"]["error"]
    assert status["api"]["status"] == "done" and (git_repo / "api.py").exists()
    assert report["status"] == "partial" and not (git_repo / "cli.py").exists()


async def test_cyclic_plan_is_repaired_once(llm, git_repo, config_file):
    configure(config_file, llm)
    cyclic = {
        "subtasks": [
            {"name": "a", "instruction": "x", "depends_on": ["b"]},
            {"name": "b", "instruction": "y", "depends_on": ["a"]},
        ]
    }
    fixed = {"subtasks": [{"name": "docs", "instruction": "Write docs.md"}]}
    llm.route(PLANNER, Reply(text=json.dumps(cyclic)), Reply(text=json.dumps(fixed)))
    script_subagents(llm, ["docs"])
    code, report, err = await swarm(git_repo, "write docs")
    assert code == 0, err
    assert report["status"] == "done"
    planner_requests = [r for r in llm.requests if PLANNER in json.dumps(r.body)]
    assert "the dependencies form a cycle" in json.dumps(planner_requests[1].body)


async def test_plan_that_stays_invalid_is_a_clear_failure(llm, git_repo, config_file):
    configure(config_file, llm)
    llm.route(PLANNER, Reply(text="no plan here"), Reply(text='{"subtasks": []}'))
    code, report, err = await swarm(git_repo, "anything")
    assert code == 1 and report is None
    assert "could not produce a valid plan: the plan has no subtasks" in err and "Traceback" not in err


async def test_429_storm_slows_the_shared_limiter(llm, git_repo, config_file):
    configure(config_file, llm)
    two = {
        "subtasks": [
            {"name": "schema", "instruction": "Write schema.py"},
            {"name": "docs", "instruction": "Write docs.md"},
        ]
    }
    llm.route(PLANNER, Reply(text=json.dumps(two)))
    for name in ("schema", "docs"):
        llm.route(
            f"Your subtask '{name}'",
            Fault("status", status=429, retry_after=0),
            Fault("status", status=429, retry_after=0),
            Reply(calls=[Call("write_file", {"file_path": FILES[name], "content": "x\n"})]),
            Reply(text=f"{name} done"),
        )
    code, report, err = await swarm(git_repo, "two things")
    assert code == 0, err
    assert report["rate_limit_slowdowns"] >= 4 and report["status"] == "done"


async def test_identical_rerun_uses_the_cache(llm, git_repo, config_file):
    configure(config_file, llm)
    llm.route(PLANNER, Reply(text=json.dumps(FIVE)), Reply(text=json.dumps(FIVE)))
    script_subagents(llm)
    code, _, err = await swarm(git_repo, "build the app")
    assert code == 0, err
    subprocess.run(["git", "clean", "-qfd"], cwd=git_repo, check=True)  # back to the same starting point
    sub_requests = len([r for r in llm.requests if "Your subtask" in json.dumps(r.body)])
    code, second, err = await swarm(git_repo, "build the app")
    assert code == 0, err
    assert all(s["cached"] for s in second["subtasks"])
    assert len([r for r in llm.requests if "Your subtask" in json.dumps(r.body)]) == sub_requests  # none new
    for name, file in FILES.items():
        assert (git_repo / file).read_text() == f"# written by {name}\n"


async def test_subagents_share_results_over_the_bus(llm, git_repo, config_file):
    configure(config_file, llm)
    two = {
        "subtasks": [
            {"name": "producer", "instruction": "Decide the port"},
            {"name": "consumer", "instruction": "Use the port the producer decides"},
        ]
    }
    llm.route(PLANNER, Reply(text=json.dumps(two)))
    llm.route(
        "Your subtask 'producer'",
        Reply(calls=[Call("swarm_share", {"action": "publish", "key": "port", "value": "8080"})]),
        Reply(text="port is 8080"),
    )
    llm.route(
        "Your subtask 'consumer'",
        Reply(calls=[Call("swarm_share", {"action": "wait", "key": "port", "timeout": 30})]),
        Reply(text="using the shared port"),
    )
    code, _, err = await swarm(git_repo, "pick a port and use it")
    assert code == 0, err
    consumer_requests = [r for r in llm.requests if "Your subtask 'consumer'" in json.dumps(r.body)]
    tool_result = consumer_requests[-1].body["messages"][-1]
    assert tool_result["role"] == "tool" and tool_result["content"] == "8080"
