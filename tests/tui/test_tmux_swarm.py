"""`/swarm TASK` in the real TUI: a real swarm on the fake LLM, watched through the swarm view."""

import json
import re

from tests.fakes.llm import Call, Reply

from .conftest import configure

PLANNER = "You are the planner"
PLAN = {
    "subtasks": [{"name": "schema", "instruction": "Write schema.py"}, {"name": "docs", "instruction": "Write docs.md"}]
}
FILES = {"schema": "schema.py", "docs": "docs.md"}


async def test_a_swarm_started_from_the_tui_shows_its_agents(llm, term, config_file, git_repo):
    configure(config_file, llm)
    llm.route(PLANNER, Reply(text=json.dumps(PLAN)))
    for name, path in FILES.items():
        llm.route(
            f"Your subtask '{name}'",
            Reply(calls=[Call("write_file", {"file_path": path, "content": f"# {name}\n"})]),
            Reply(text=f"{name} finished"),
        )
    await term.start("tui")
    await term.wait_for("fake/fake-large")
    await term.type("/swarm write the schema and the docs")
    await term.send("Enter")
    screen = await term.wait_for(lambda s: "✓ schema" in s and "✓ docs" in s)
    assert "Swarm " in screen and "write the schema and the docs" in screen
    await term.send("Enter")  # the first agent's transcript
    screen = await term.wait_for("Esc: back, Tab: next")
    first = "schema" if "schema — " in screen else "docs"
    assert f"write_file {FILES[first]}" in screen and f"{first} finished" in screen
    await term.send("Tab")
    other = "docs" if first == "schema" else "schema"
    screen = await term.wait_for(f"{other} — ")
    assert f"write_file {FILES[other]}" in screen
    await term.send("Escape")
    await term.wait_for(lambda s: "Esc: back, Tab: next" not in s and "✓ schema" in s)
    await term.send("Escape")
    await term.wait_for(lambda s: re.search(r"swarm \w+ done: 2 subtasks", s) is not None)  # the chat's note
    assert (git_repo / "schema.py").read_text() == "# schema\n" and (git_repo / "docs.md").read_text() == "# docs\n"
