"""A task may ask the worker for Ralph or swarm mode.

Ralph: the worker runs the PRD in its workspace (a real git repo,
real quality checks, story agents on the fake LLM) and the A2A task ends with the stories' results."""

import asyncio
import json

from codetether.a2a.client.client import A2AClient
from codetether.a2a.domain.types import TaskState
from tests.fakes.llm import Call, Reply
from tests.ralph.helpers import git, subtraction_repo

from .helpers import GUARD, TOKEN, start_serve, start_worker
from .test_fleet_e2e import configure, finished, texts


async def test_a_ralph_task_runs_the_prd_in_the_workspace(llm, config_file, tmp_path):
    configure(config_file, llm)
    repo = subtraction_repo(tmp_path / "repo", llm, "pytest finds tests/")
    serve = await start_serve(tmp_path)
    worker = await start_worker(
        serve.info["http_url"], repo, "ralpher", "--auto-approve", "all", "--model", "fake/fake-large", logs=tmp_path
    )
    try:
        async with await A2AClient.connect(serve.info["http_url"], token=TOKEN) as client:
            task = await client.send("run the calculator PRD", blocking=False, metadata={"mode": "ralph"})
            done_task = await asyncio.wait_for(finished(client, task.id), GUARD)
        assert done_task.status.state is TaskState.COMPLETED, texts(done_task)
        assert done_task.status.message.text() == "ralph passed: 1/1 stories pass (every story passes)"
        answer = "".join(p.text for a in done_task.artifacts if a.name == "answer" for p in a.parts)
        assert answer == "US-001 Subtraction: passed"
        assert any(n.startswith("ralph US-001") for n in texts(done_task))  # progress reached the A2A task
        assert "US-001" in git(repo, "log", "--oneline", "feature/calculator")
    finally:
        await worker.stop()
        assert await serve.stop() == 0


async def test_a_swarm_task_splits_the_work_and_applies_it_in_the_workspace(llm, config_file, git_repo, tmp_path):
    configure(config_file, llm)
    plan = {
        "subtasks": [
            {"name": "schema", "instruction": "Write schema.py"},
            {"name": "docs", "instruction": "Write docs.md"},
        ]
    }
    llm.route("You are the planner", Reply(text=json.dumps(plan)))
    for name, path in (("schema", "schema.py"), ("docs", "docs.md")):
        llm.route(
            f"Your subtask '{name}'",
            Reply(calls=[Call("write_file", {"file_path": path, "content": f"# by {name}\n"})]),
            Reply(text=f"{name} done"),
        )
    serve = await start_serve(tmp_path)
    worker = await start_worker(
        serve.info["http_url"],
        git_repo,
        "swarmer",
        "--auto-approve",
        "all",
        "--model",
        "fake/fake-large",
        logs=tmp_path,
    )
    try:
        async with await A2AClient.connect(serve.info["http_url"], token=TOKEN) as client:
            task = await client.send("write a schema and its docs", blocking=False, metadata={"mode": "swarm"})
            done_task = await asyncio.wait_for(finished(client, task.id), GUARD)
        assert done_task.status.state is TaskState.COMPLETED, texts(done_task)
        answer = "".join(p.text for a in done_task.artifacts if a.name == "answer" for p in a.parts)
        assert "## schema (done)\nschema done" in answer and "## docs (done)\ndocs done" in answer
        assert (git_repo / "schema.py").read_text() == "# by schema\n" and (git_repo / "docs.md").exists()
        assert any(n.startswith("swarm ") for n in texts(done_task))  # its progress reached the A2A task
    finally:
        await worker.stop()
        assert await serve.stop() == 0
