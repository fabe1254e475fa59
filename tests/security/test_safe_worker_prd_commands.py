"""A ralph task runs the PRD's commands itself, so under ``--auto-approve safe`` (edits in the workspace,
no commands) it must not run a PRD's shell commands: one task's agent writes prd.json (an edit, allowed),
the next task asks for ralph mode on it. Real server, real worker, real git repo, fake LLM server."""

import asyncio
import json

from codetether.a2a.client.client import A2AClient
from codetether.a2a.domain.types import TaskState
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import done, make_repo, story
from tests.worker.helpers import GUARD, TOKEN, start_serve, start_worker
from tests.worker.test_fleet_e2e import configure, finished, texts


async def test_safe_worker_refuses_the_shell_commands_of_a_prd_a_task_wrote(llm, config_file, tmp_path):
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    marker = tmp_path / "outside-the-workspace"
    prd = {
        "project": "calc",
        "feature": "Calculator",
        "branch_name": "feature/calculator",
        "user_stories": [story("US-001", "Nothing")],
        "quality_checks": {"test": f"touch {marker}"},
    }
    llm.route(
        "draft the PRD",
        Reply(calls=[Call("write_file", {"file_path": "prd.json", "content": json.dumps(prd)})]),
        Reply(text="written"),
    )
    llm.route("# Your story: US-001 -", done("nothing to do", []))
    serve = await start_serve(tmp_path)
    worker = await start_worker(
        serve.info["http_url"], repo, "safe", "--auto-approve", "safe", "--model", "fake/fake-large", logs=tmp_path
    )
    try:
        async with await A2AClient.connect(serve.info["http_url"], token=TOKEN) as client:
            first = await client.send("draft the PRD please", blocking=False)
            first = await asyncio.wait_for(finished(client, first.id), GUARD)
            assert first.status.state is TaskState.COMPLETED, texts(first)
            assert (repo / "prd.json").is_file()  # an edit inside the workspace: safe allows it

            second = await client.send("run it", blocking=False, metadata={"mode": "ralph"})
            second = await asyncio.wait_for(finished(client, second.id), GUARD)
        assert second.status.state is TaskState.FAILED, texts(second)
        message = second.status.message.text()
        assert f"not allowed (auto-approve=safe): the PRD's bash wants to execute 'touch {marker}'" in message
        assert not marker.exists()  # the command never ran
        assert not any("# Your story: US-001" in json.dumps(r.body) for r in llm.requests)  # nor did a story
    finally:
        await worker.stop()
        assert await serve.stop() == 0
