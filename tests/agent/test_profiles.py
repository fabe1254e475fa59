"""Custom agents: markdown agent files, where they come from, and the three surfaces that use them.

`codetether run --agent`, the `task` tool's `agent` parameter and swarm plans all go through
``Runtime.spec_for_agent``; these tests drive the real CLI against the fake LLM server and check
what the model was offered and which model was asked.
"""

import json
import subprocess
from pathlib import Path

import pytest

from codetether.agent.profiles import builtin_profiles, load_catalog, load_file, parse
from codetether.config import load_config, trust
from codetether.errors import ConfigError, UsageError
from codetether.runtime import AgentSpec, Runtime
from codetether.security.permissions import AccessMode
from codetether.swarm.plan import PlanError, parse_plan, validate
from tests.agent.test_run_e2e import configure, events_of, run_cli
from tests.fakes.llm import Call, Reply

WRITING_TOOLS = {"write_file", "edit", "multiedit", "apply_patch", "bash", "task", "batch", "plan_exit"}

REVIEWER = """---
name: reviewer
description: "Reviews code, changes nothing"
model: fake/fake-small
tools:
  - read_file
  - grep
access_mode: ask
max_steps: 7
---
REVIEWER-PROMPT: point at lines.
"""


def tools_offered(request) -> set[str]:
    return {tool["function"]["name"] for tool in request.body.get("tools", [])}


def system_text(request) -> str:
    return "\n".join(m["content"] for m in request.body["messages"] if m["role"] == "system")


def write_agent(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.md"
    path.write_text(text)
    return path


def trusted_repo(root: Path) -> Path:
    """A git repo whose codetether.toml and agent files the user has trusted."""
    (root / "codetether.toml").write_text("")
    trust.trust(root)
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "notes.txt").write_text("TODO: review\n")
    return root


# --- the file format --------------------------------------------------------------------------------------
def test_agent_file_front_matter_and_body_are_parsed(tmp_path):
    path = write_agent(tmp_path, "reviewer", REVIEWER)
    profile = load_file(path)
    assert profile.name == "reviewer"
    assert profile.description == "Reviews code, changes nothing"
    assert profile.model == "fake/fake-small"
    assert profile.tools == ["read_file", "grep"]
    assert profile.access_mode is AccessMode.ASK
    assert profile.max_steps == 7
    assert profile.prompt == "REVIEWER-PROMPT: point at lines."
    assert profile.source == str(path)


def test_inline_and_comma_tool_lists_and_file_name_as_default_name():
    inline = parse("---\n# read-only\ntools: [read_file, 'glob']\n---\nBody", "x.md", "scout")
    comma = parse("---\ntools: read_file, glob\n---\n", "y.md", "scout")
    assert inline.name == comma.name == "scout"
    assert inline.tools == comma.tools == ["read_file", "glob"]
    assert parse("Just a prompt.", "z.md", "plain").prompt == "Just a prompt."


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("---\nname: a\ntools read_file\n---\n", 3, "expected `key: value`"),
        ("---\ndescription: x\ncolour: red\n---\n", 3, "unknown key 'colour'"),
        ("---\nname: a\n\ntools: [read_file, wrte_file]\n---\n", 4, "unknown tool 'wrte_file'"),
        ("---\n- read_file\n---\n", 2, "a list item outside a list"),
        ("---\naccess_mode: root\n---\n", 2, "unknown access_mode 'root'"),
        ("---\nmax_steps: 0\n---\n", 2, "max_steps must be a positive whole number"),
        ("---\nname: bad name!\n---\n", 2, "invalid agent name"),
        ("---\nmodel: a\nmodel: b\n---\n", 3, "'model' is set twice"),
        ("---\nname: a\n", 1, "the front matter is not closed"),
    ],
)
def test_bad_front_matter_is_an_error_naming_file_and_line(tmp_path, text, line, words):
    path = write_agent(tmp_path, "broken", text)
    with pytest.raises(ConfigError) as caught:
        load_file(path)
    assert caught.value.message.startswith(f"{path}:{line}: ")
    assert words in caught.value.message


def test_unknown_tool_error_lists_the_tools_there_are():
    with pytest.raises(ConfigError) as caught:
        parse("---\ntools: [shell]\n---\n", "a.md", "a")
    assert "read_file" in (caught.value.hint or "")


def test_builtin_plan_and_explore_cannot_write_and_build_has_every_tool():
    agents = {p.name: p for p in builtin_profiles()}
    assert set(agents) == {"build", "plan", "explore"}
    assert agents["build"].tools == "all"
    for name in ("plan", "explore"):
        assert isinstance(agents[name].tools, list)
        assert not set(agents[name].tools) & WRITING_TOOLS, name
    assert agents["explore"].max_steps == 20


# --- where agents come from ---------------------------------------------------------------------------------
def test_project_agent_overrides_user_agent_which_overrides_builtin(repo, isolated_env):
    user_dir = isolated_env / ".config" / "codetether-agent" / "agents"
    write_agent(user_dir, "plan", "---\ndescription: user plan\ntools: [read_file]\n---\n")
    write_agent(user_dir, "explore", "---\ndescription: user explore\n---\n")
    write_agent(repo / ".codetether" / "agents", "plan", "---\ndescription: project plan\n---\nP")
    trusted_repo(repo)
    agents = load_catalog(repo).agents
    assert agents["plan"].description == "project plan"  # project > user
    assert agents["explore"].description == "user explore"  # user > built-in
    assert agents["build"].source == "built-in: build.md"


def test_untrusted_project_agents_are_ignored_with_a_notice(repo):
    write_agent(repo / ".codetether" / "agents", "plan", "---\ndescription: project plan\naccess_mode: full\n---\n")
    notices: list[str] = []
    catalog = load_catalog(repo, notices.append)
    assert catalog.agents["plan"].source == "built-in: plan.md"
    assert len(notices) == 1 and "not trusted" in notices[0]
    assert "add a codetether.toml" in notices[0]  # trust needs the file; the agents are pinned with it


def test_editing_an_agent_file_after_trust_untrusts_the_project(repo):
    path = write_agent(repo / ".codetether" / "agents", "helper", "---\ndescription: v1\n---\n")
    trusted_repo(repo)
    assert load_catalog(repo).agents["helper"].description == "v1"
    path.write_text("---\ndescription: v2\naccess_mode: full\n---\n")
    assert trust.state(repo) is trust.TrustState.CHANGED
    catalog = load_catalog(repo)
    assert "helper" not in catalog.agents
    with pytest.raises(UsageError) as caught:
        catalog.get("helper")
    assert "trust the project" in (caught.value.hint or "")


def test_trust_pin_without_agent_files_is_the_files_own_digest(repo):
    trusted_repo(repo)
    store = json.loads((trust.data_dir() / "trusted-projects.json").read_text())
    assert store[str(repo.resolve())] == trust.digest(repo / "codetether.toml")


async def test_spec_for_agent_sets_model_tools_mode_steps_and_prompt(repo):
    write_agent(repo / ".codetether" / "agents", "reviewer", REVIEWER)
    trusted_repo(repo)
    async with Runtime(load_config(cwd=repo)) as runtime:
        spec = runtime.spec_for_agent("reviewer", AgentSpec(workspace=str(repo), system_extra="ROLE"))
        with pytest.raises(UsageError) as caught:
            runtime.spec_for_agent("nobody", AgentSpec(workspace=str(repo)))
    assert (spec.model, spec.tools, spec.access_mode, spec.max_steps) == (
        "fake/fake-small",
        ["read_file", "grep"],
        "ask",
        7,
    )
    assert spec.plugins is False and spec.mcp is False  # a listed tool set is the whole tool set
    assert spec.system_extra == "ROLE\n\nREVIEWER-PROMPT: point at lines."
    assert caught.value.message == "unknown agent 'nobody'"
    assert "build, explore, plan, reviewer" in (caught.value.hint or "")


# --- codetether run --agent ---------------------------------------------------------------------------------
async def test_plan_agent_cannot_write(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(
        Reply(calls=[Call("write_file", {"file_path": "evil.txt", "content": "x"})]),
        Reply(text="I cannot write; here is the plan."),
    )
    code, out, err = await run_cli(
        "run", "--agent", "plan", "--yolo", "--model", "fake/fake-large", "--format", "jsonl", "plan it", cwd=repo
    )
    assert code == 0, err
    assert not (repo / "evil.txt").exists()
    offered = tools_offered(llm.requests[0])
    assert "read_file" in offered and not offered & WRITING_TOOLS
    assert "You are in planning mode" in system_text(llm.requests[0])
    result = next(e for e in events_of(out) if e["type"] == "tool_result")
    assert result["name"] == "write_file" and result["is_error"]


async def test_run_with_an_unknown_agent_lists_the_known_ones(llm, repo, config_file):
    configure(config_file, llm)
    code, _, err = await run_cli("run", "--agent", "nobody", "--model", "fake/fake-large", "hi", cwd=repo)
    assert code == 2
    assert "unknown agent 'nobody'" in err and "build, explore, plan" in err
    assert llm.requests == []


async def test_command_line_flags_win_over_the_agents_settings(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(*[Reply(calls=[Call("list_dir", {})]) for _ in range(3)])
    code, _, err = await run_cli(
        "run", "--agent", "explore", "--max-steps", "2", "--model", "fake/fake-large", "look", cwd=repo
    )
    assert code == 3, err  # stopped at the command line's 2 steps, not explore's 20
    assert len(llm.requests) == 2


# --- the task tool ------------------------------------------------------------------------------------------
def task_call(agent: str) -> Reply:
    return Reply(calls=[Call("task", {"description": "review", "prompt": "SUB-PROMPT", "agent": agent})])


async def test_repository_agent_used_by_task_runs_with_its_own_model_and_tools(llm, repo, config_file):
    configure(config_file, llm)
    write_agent(repo / ".codetether" / "agents", "reviewer", REVIEWER)
    trusted_repo(repo)
    llm.route('"content": "SUB-PROMPT"', Reply(text="line 1 needs work"))
    llm.script(task_call("reviewer"), Reply(text="done"))
    code, out, err = await run_cli("run", "--yolo", "--model", "fake/fake-large", "--format", "jsonl", "go", cwd=repo)
    assert code == 0, err
    child = [r for r in llm.requests if '"content": "SUB-PROMPT"' in json.dumps(r.body)]
    parent = [r for r in llm.requests if r not in child]
    assert len(child) == 1 and len(parent) == 2
    assert child[0].body["model"] == "fake-small"
    assert {r.body["model"] for r in parent} == {"fake-large"}
    assert tools_offered(child[0]) == {"read_file", "grep"}
    assert "REVIEWER-PROMPT" in system_text(child[0])
    assert "REVIEWER-PROMPT" not in system_text(parent[0])
    result = next(e for e in events_of(out) if e["type"] == "tool_result" and e["name"] == "task")
    assert result["output"] == "line 1 needs work"


async def test_untrusted_repository_agent_is_not_used_by_task(llm, repo, config_file):
    configure(config_file, llm)
    write_agent(repo / ".codetether" / "agents", "reviewer", REVIEWER)
    llm.script(task_call("reviewer"), Reply(text="done"))
    code, out, err = await run_cli("run", "--yolo", "--model", "fake/fake-large", "--format", "jsonl", "go", cwd=repo)
    assert code == 0, err
    assert len(llm.requests) == 2  # no sub-agent ran
    assert {r.body["model"] for r in llm.requests} == {"fake-large"}
    result = next(e for e in events_of(out) if e["type"] == "tool_result" and e["name"] == "task")
    assert result["is_error"] and "unknown agent 'reviewer'" in result["output"]
    assert "not trusted" in err


async def test_task_agent_never_gets_a_tool_its_parent_lacks(llm, repo, config_file):
    configure(config_file, llm)
    write_agent(repo / ".codetether" / "agents", "doer", "---\ntools: [read_file, write_file, bash, task]\n---\n")
    write_agent(repo / ".codetether" / "agents", "boss", "---\ntools: [read_file, task]\n---\n")
    trusted_repo(repo)
    llm.route('"content": "SUB-PROMPT"', Reply(text="ok"))
    llm.script(task_call("doer"), Reply(text="done"))
    code, _, err = await run_cli("run", "--agent", "boss", "--yolo", "--model", "fake/fake-large", "go", cwd=repo)
    assert code == 0, err
    child = [r for r in llm.requests if '"content": "SUB-PROMPT"' in json.dumps(r.body)]
    assert tools_offered(child[0]) == {"read_file"}


# --- swarm plans --------------------------------------------------------------------------------------------
def test_plan_naming_an_unknown_agent_is_rejected():
    plan = parse_plan('{"subtasks": [{"name": "a", "instruction": "x", "agent": "ghost"}]}')
    validate(parse_plan('{"subtasks": [{"name": "a", "instruction": "x", "agent": "plan"}]}'), 3, ["plan"])
    with pytest.raises(PlanError, match="unknown agent 'ghost'; known agents: build, plan"):
        validate(plan, 3, ["plan", "build"])


async def test_swarm_subtask_runs_as_its_named_agent(llm, git_repo, config_file):
    configure(config_file, llm)
    plan = {"subtasks": [{"name": "look", "instruction": "Study it", "agent": "plan"}]}
    llm.route("You are the planner", Reply(text=json.dumps(plan)))
    llm.route("Your subtask 'look'", Reply(text="the plan"))
    code, out, err = await run_cli("swarm", "--model", "fake/fake-large", "--json", "go", cwd=git_repo)
    assert code == 0, err
    assert json.loads(out)["subtasks"][0]["status"] == "done"
    planner = next(r for r in llm.requests if "You are the planner" in json.dumps(r.body))
    assert "- plan: Read-only." in json.dumps(planner.body)  # the planner is told which agents exist
    agent = next(r for r in llm.requests if "Your subtask 'look'" in json.dumps(r.body))
    assert "swarm_share" in tools_offered(agent) and not tools_offered(agent) & WRITING_TOOLS
    assert "You are in planning mode" in system_text(agent)


def test_agents_list_shows_each_agent_and_where_it_comes_from(cli, repo, isolated_env):
    write_agent(isolated_env / ".config" / "codetether-agent" / "agents", "reviewer", REVIEWER)
    result = cli("agents", "list", cwd=repo)
    assert result.code == 0, result.stderr
    assert "reviewer  (" in result.stdout and "Reviews code, changes nothing" in result.stdout
    assert "read_file, grep; model: fake/fake-small; access_mode: ask; max_steps: 7" in result.stdout
    listed = json.loads(cli("agents", "list", "--json", cwd=repo).stdout)
    assert [a["name"] for a in listed] == ["build", "explore", "plan", "reviewer"]


def test_trusting_a_project_checks_and_pins_its_agent_files(cli, repo):
    (repo / "codetether.toml").write_text("")
    path = write_agent(repo / ".codetether" / "agents", "helper", "---\ntools: [nope]\n---\n")
    refused = cli("config", "project", "trust", cwd=repo)
    assert refused.code != 0 and f"{path}:2: unknown tool 'nope'" in refused.stderr
    assert trust.state(repo) is trust.TrustState.UNTRUSTED
    path.write_text("---\ntools: [read_file]\n---\n")
    trusted = cli("config", "project", "trust", cwd=repo)
    assert trusted.code == 0 and "and 1 agent file(s)" in trusted.stdout, trusted.stderr
    status = cli("config", "project", "status", cwd=repo)
    assert "1 agent file(s), trusted together with codetether.toml" in status.stdout


async def test_task_agent_left_with_no_tools_gets_none_not_all(llm, repo, config_file):
    configure(config_file, llm)
    write_agent(repo / ".codetether" / "agents", "writer", "---\ntools: [write_file]\n---\n")
    write_agent(repo / ".codetether" / "agents", "boss", "---\ntools: [glob, task]\n---\n")
    trusted_repo(repo)
    llm.route('"content": "SUB-PROMPT"', Reply(text="ok"))
    llm.script(task_call("writer"), Reply(text="done"))
    code, _, err = await run_cli("run", "--agent", "boss", "--yolo", "--model", "fake/fake-large", "go", cwd=repo)
    assert code == 0, err
    child = [r for r in llm.requests if '"content": "SUB-PROMPT"' in json.dumps(r.body)]
    assert tools_offered(child[0]) == set()  # write_file is not the boss's to give; an empty list is no tools
