"""`/ralph PRD` in the real TUI: a real Ralph run (git repo, pytest checks) on the fake LLM, in the Ralph view."""

from tests.ralph.helpers import SUB, make_repo, subtraction_repo

from .conftest import configure
from .tmux import Terminal, require_tmux


async def test_a_ralph_run_started_from_the_tui_shows_its_stories(llm, tmp_path, config_file):
    require_tmux()
    configure(config_file, llm)
    repo = subtraction_repo(tmp_path / "repo", llm, "modules are flat")
    term = Terminal(repo)
    try:
        await term.start("tui")
        await term.wait_for("fake/fake-large")
        await term.type("/ralph prd.json")
        await term.send("Enter")
        screen = await term.wait_for(lambda s: "✓ US-001" in s and "passed" in s, timeout=120)
        assert "Ralph " in screen and "learned: modules are flat" in screen
        await term.send("Escape")
        await term.wait_for("ralph ", timeout=120)  # the chat's note once the run has ended
        assert (repo / "calc_sub.py").read_text() == SUB
    finally:
        await term.close()


async def test_a_bad_prd_is_one_line(llm, tmp_path, config_file):
    require_tmux()
    configure(config_file, llm)
    repo = make_repo(tmp_path / "repo")
    (repo / "prd.json").write_text("{not json")
    term = Terminal(repo)
    try:
        await term.start("tui")
        await term.wait_for("fake/fake-large")
        await term.type("/ralph prd.json")
        await term.send("Enter")
        screen = await term.wait_for("prd.json")
        assert "Traceback" not in screen
    finally:
        await term.close()
