"""What a Ralph run shows: bus events under ralph.{prd_id}.*, the live lines, the final table, the story tools."""

import json

from codetether.bus import Follower
from codetether.config import load_config
from codetether.events import RalphProgress, RalphState, ToolCallStarted
from codetether.ralph.loop import Ralph, RalphOptions
from codetether.runtime import Runtime
from tests.agent.test_run_e2e import configure, run_cli
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import done, key, make_repo, story, write, write_prd

BAD_TEST = "from feature import VALUE\n\n\ndef test_value():\n    assert VALUE == 2\n"


async def test_bus_events_follow_each_story(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Value"), story("US-002", "Docs", depends_on=["US-001"])])
    llm.route(
        key("US-001"),
        write("feature.py", "VALUE = 1\n"),
        write("tests/test_feature.py", BAD_TEST),
        done("value", []),
        write("feature.py", "VALUE = 2\n"),
        done("set VALUE", ["VALUE lives in feature.py"]),
    )
    llm.route(key("US-002"), write("DOCS.md", "VALUE is 2\n"), done("docs", []))
    seen: list[tuple[str, RalphProgress]] = []
    agent_topics: set[str] = set()

    def record(envelope):
        if isinstance(envelope.message, RalphProgress):
            seen.append((envelope.topic, envelope.message))
        elif isinstance(envelope.message, ToolCallStarted):
            agent_topics.add(envelope.topic)

    async with Runtime(load_config(cwd=repo)) as runtime:
        runner = Ralph(runtime, prd, RalphOptions(model="fake/fake-large", access_mode="full"), cwd=repo)
        async with Follower(runtime.bus, f"ralph.{runner.id}.#", record):
            report = await runner.run()
    assert report.passed == 2 and report.exit_code == 0
    pid = runner.id
    assert all(topic == f"ralph.{pid}.{event.state.value}" for topic, event in seen)
    assert agent_topics == {f"ralph.{pid}.agent.US-001", f"ralph.{pid}.agent.US-002"}
    us1 = [(e.state, e.iteration, e.check, e.ok) for _, e in seen if e.story == "US-001"]
    assert us1 == [
        (RalphState.STARTED, 0, "", None),
        (RalphState.ITERATION, 1, "", None),
        (RalphState.CHECK, 1, "test", None),
        (RalphState.CHECK, 1, "test", False),
        (RalphState.ITERATION, 2, "", None),
        (RalphState.CHECK, 2, "test", None),
        (RalphState.CHECK, 2, "test", True),
        (RalphState.PASSED, 2, "", None),
        (RalphState.LEARNING, 0, "", None),
    ]
    learning = next(e for _, e in seen if e.state == RalphState.LEARNING)
    assert learning.learnings == ["VALUE lives in feature.py"] and learning.prd_id == pid
    first, last = seen[0][1], seen[-1][1]
    assert (first.state, first.passed, first.total, first.detail) == (RalphState.RUN, 0, 2, "feature/calculator")
    assert (last.state, last.passed, last.total) == (RalphState.FINISHED, 2, 2)
    # the story agents get every tool but `question` (nobody can answer)
    offered = {t["function"]["name"] for t in llm.requests[0].body["tools"]}
    assert "question" not in offered and {"bash", "write_file", "edit", "read_file"} <= offered


async def test_text_mode_live_lines_and_final_table(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    prd = write_prd(repo, [story("US-001", "Value"), story("US-002", "Never", depends_on=["US-001"])])
    llm.route(
        key("US-001"),
        Reply(calls=[Call("write_file", {"file_path": "feature.py", "content": "VALUE = 2\n"})]),
        done("value", ["VALUE is an int"]),
    )
    code, out, err = await run_cli(
        "ralph", "run", "--prd", str(prd), "--model", "fake/fake-large", "--max-iterations", "1", cwd=repo
    )
    assert code == 4, err
    assert "⋯ US-001       checking   iter 1  running test" in err
    assert "⋯ US-001       working    iter 1  write_file feature.py" in err
    assert "✓ US-001       passed     iter 1  value" in err and "US-001 learned: VALUE is an int" in err
    lines = out.splitlines()
    assert lines[0] == "ralph Calculator (feature/calculator): partial"
    assert lines[1].split() == ["story", "result", "iter", "checks", "time", "tokens", "cost"]
    assert lines[3].split()[:4] == ["US-001", "passed", "1", "1/1"] and lines[3].split()[-1] == "-"
    assert lines[4].split() == ["US-002", "not-run", "-", "-", "-", "-", "-"]
    assert lines[6].startswith("total") and "1/2 pass" in lines[6]
    assert lines[-2:] == [
        "US-002: the iteration limit was reached",
        "stopped: the iteration limit (1 story attempts) was reached",
    ]
    code, out, _ = await run_cli("ralph", "status", "--prd", str(prd), cwd=repo)
    assert code == 0
    assert out.splitlines()[0] == (
        "Calculator: 1/2 stories pass (last run: the iteration limit (1 story attempts) was reached)"
    )
    assert out.splitlines()[1].startswith("✓ US-001 Value  last: passed, 1 iter, checks 1/1,")
    assert out.splitlines()[2] == "· US-002 Never [after US-001]  last: not-run, 0 iter, checks -, 0.0s " + (
        "(the iteration limit was reached)"
    )
    assert json.loads((await run_cli("ralph", "status", "--prd", str(prd), "--json", cwd=repo))[1])["passed"] == 1
