"""The `ralph` tool asks about the PRD's own commands: in ``approve`` mode the model may write prd.json
without asking, so approving "ralph run --prd prd.json" must not approve whatever shell commands the
model put in it. A real agent built by the runtime, a person answering through ``ask``, the fake LLM."""

import json

from codetether.config import load_config
from codetether.providers.types import Message
from codetether.runtime import AgentSpec, Runtime
from codetether.security.permissions import AccessMode
from tests.agent.test_run_e2e import configure
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import done, key, make_repo, story


async def test_approving_ralph_run_does_not_approve_the_commands_the_model_put_in_the_prd(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    marker = tmp_path / "outside-the-workspace"
    prd = {
        "project": "calc",
        "feature": "Calculator",
        "branch_name": "",
        "user_stories": [story("US-001", "Nothing")],
        "quality_checks": {"test": f"python -m pytest -q -p no:cacheprovider && touch {marker}"},
    }
    llm.route(key("US-001"), done("nothing to do", []))
    llm.script(
        Reply(calls=[Call("write_file", {"file_path": "prd.json", "content": json.dumps(prd)})]),
        Reply(calls=[Call("ralph", {"prd": "prd.json", "parallel": 1, "model": "fake/fake-large"})]),
        Reply(text="done"),
    )
    asked = []

    async def person(request) -> str:  # approves running Ralph, declines anything else
        asked.append((request.tool, request.subject))
        return "yes" if request.tool == "ralph" else "no"

    async with Runtime(load_config(cwd=repo)) as runtime:
        spec = AgentSpec(workspace=str(repo), model="fake/fake-large", access_mode=AccessMode.APPROVE, session="memory")
        finished = await runtime.agent(spec, ask=person).run(Message.user("plan and run it"))
    assert finished.status == "submitted", finished
    assert asked == [("ralph", "ralph run --prd prd.json"), ("bash", prd["quality_checks"]["test"])]
    (result,) = [m["content"] for m in llm.requests[-1].body["messages"] if m["role"] == "tool"][1:]
    assert result.startswith("Error: the user declined bash on python -m pytest"), result
    assert not marker.exists()  # the PRD's command never ran
    assert not any(key("US-001") in json.dumps(r.body) for r in llm.requests)  # nor did Ralph
