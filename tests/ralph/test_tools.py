"""The `prd` and `ralph` tools, driven by an agent built by the runtime, against the fake LLM server."""

import json

from codetether.config import load_config
from codetether.providers.types import Message
from codetether.runtime import AgentSpec, Runtime
from codetether.security.permissions import AccessMode
from tests.agent.test_run_e2e import configure
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import done, git, key, log, make_repo, prd_flags, write

STORIES = [
    {"id": "US-001", "title": "Negation", "description": "neg(x) in calc_neg.py",
     "acceptance_criteria": ["neg(2) == -2"], "priority": 1},
    {"id": "US-002", "title": "Absolute value", "depends_on": ["US-001"], "priority": 2},
]  # fmt: skip


async def agent(repo, prompt: str):
    """An agent with every built-in tool, full access, in ``repo``; returns how it finished."""
    async with Runtime(load_config(cwd=repo)) as runtime:
        spec = AgentSpec(workspace=str(repo), model="fake/fake-large", access_mode=AccessMode.FULL, session="memory")
        return await runtime.agent(spec).run(Message.user(prompt))


def tool_results(llm) -> list[str]:
    """The tool results the outer agent's last request carried."""
    return [m["content"] for m in llm.requests[-1].body["messages"] if m["role"] == "tool"]


async def test_prd_tool_drafts_with_detected_checks_and_validates(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    bad = {"project": "p", "feature": "f", "user_stories": [{"id": "A", "title": "a", "priority": "x"}]}
    (repo / "bad.json").write_text(json.dumps(bad))
    llm.script(
        Reply(calls=[Call("prd", {"action": "draft", "feature": "Sign math", "project": "calc", "stories": STORIES})]),
        Reply(calls=[Call("prd", {"action": "validate", "path": "bad.json"})]),
        Reply(
            calls=[
                Call(
                    "prd",
                    {
                        "action": "draft",
                        "feature": "x",
                        "project": "y",
                        "stories": [{"id": "A", "title": "a", "depends_on": ["B"]}],
                        "path": "other.json",
                    },
                )
            ]
        ),
        Reply(text="drafted"),
    )
    finished = await agent(repo, "plan sign math")
    assert finished.status == "submitted", finished
    drafted, invalid, refused = tool_results(llm)
    assert drafted.startswith("wrote prd.json: 2 stories (0 pass), branch feature/sign-math")
    assert "- US-002 Absolute value [after US-001]" in drafted
    assert "quality checks: test: `python -m pytest -q`" in drafted
    saved = json.loads((repo / "prd.json").read_text())
    assert saved["user_stories"][1]["depends_on"] == ["US-001"] and saved["quality_checks"] == {
        "test": "python -m pytest -q"
    }
    assert invalid == "bad.json is invalid (1 problems):\n$.user_stories[0].priority: expected `int`, got `str`"
    assert "unknown story id 'B'" in refused and not (repo / "other.json").exists()


async def test_ralph_tool_runs_a_prd_and_returns_the_table(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = {
        "project": "calc", "feature": "Sign math", "branch_name": "", "user_stories": STORIES[:1],
        "quality_checks": {"test": "python -m pytest -q"},
    }  # fmt: skip
    (repo / "prd.json").write_text(json.dumps(prd))
    git(repo, "add", "prd.json")
    git(repo, "commit", "-qm", "prd")
    llm.route(key("US-001"), write("calc_neg.py", "def neg(x):\n    return -x\n"), done("added neg()", []))
    llm.script(
        Reply(calls=[Call("ralph", {"prd": "prd.json", "parallel": 1, "model": "fake/fake-large"})]),
        Reply(text="all done"),
    )
    finished = await agent(repo, "run the prd")
    assert finished.status == "submitted", finished
    (table,) = tool_results(llm)
    assert table.startswith("ralph Sign math (main): passed")
    assert table.splitlines()[3].split()[:4] == ["US-001", "passed", "1", "1/1"]
    assert prd_flags(repo / "prd.json") == {"US-001": True}
    assert "US-001: Negation" in log(repo)
