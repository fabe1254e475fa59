"""The TUI's parts on their own: markdown blocks, completion, keys, diffs, pastes, filters, undo, themes."""

import subprocess
from pathlib import Path

import pytest

from codetether import events
from codetether.providers.types import Message, ToolCall
from codetether.tui import markdown, slash, theme
from codetether.tui.diffs import call_diff
from codetether.tui.history import replay
from codetether.tui.input import InputBox
from codetether.tui.inspector import matches
from codetether.tui.keys import KeyConfigError, keymap
from codetether.tui.rows import SHOWN_CHARS, shorten
from codetether.tui.undo import changed_since, snapshot, undo

TEXT = "Intro line.\n\n```python\nx = 1\n\ny = 2\n```\nafter the fence\n\n- a\n- b\n\nlast"


@pytest.mark.parametrize("step", [1, 3, 7, len(TEXT)])
def test_streamed_blocks_do_not_depend_on_how_the_text_was_cut(step):
    stream = markdown.StreamingMarkdown()
    blocks = []
    for i in range(0, len(TEXT), step):
        blocks += stream.feed(TEXT[i : i + step])
    assert blocks == ["Intro line.\n\n", "```python\nx = 1\n\ny = 2\n```\n", "after the fence\n\n", "- a\n- b\n\n"]
    assert stream.pending == "last"
    assert "".join(blocks) + stream.pending == TEXT


def test_code_blocks_are_highlighted_and_markers_hidden():
    markup = markdown.render_block("```python\ndef f():\n    return 'x'  # c\n```\n")
    styles = {style for style, _ in markup}
    assert {"code_kw", "code_str", "code_com"} <= styles
    assert "```" not in "".join(text for _, text in markup)
    assert [s for s, _ in markdown.inline("a **b** `c`")] == ["body", "bold", "body", "code"]


def test_the_simple_highlighter_covers_the_basics():
    styles = dict((text, style) for style, text in markdown.simple_highlight("def f(): return 'x' # note 42"))
    assert styles["def"] == "code_kw" and styles["'x'"] == "code_str" and styles["# note 42"] == "code_com"


def test_slash_completion_and_suggestion():
    assert slash.complete("/s") == ["/sessions", "/swarm"]
    assert slash.common_prefix(slash.complete("/s")) == "/s"
    assert slash.nearest("/sesions") == "/sessions"
    assert slash.nearest("/modle") == "/model"
    assert slash.nearest("/zzzzzz") is None
    assert slash.parse("/resume  ses_1 ") == ("/resume", "ses_1")


def test_keys_are_rebound_and_bad_bindings_refused():
    keys = keymap({"model": ["f9", "ctrl t"], "swarm": "f2"})
    assert keys["f9"] == "model" and keys["ctrl t"] == "model" and "f3" not in keys
    assert keys["f2"] == "swarm" and "ctrl s" not in keys
    with pytest.raises(KeyConfigError, match="unknown action 'modle'"):
        keymap({"modle": "f9"})
    with pytest.raises(KeyConfigError, match="Ctrl\\+M"):
        keymap({"model": "ctrl m"})


def test_diffs_from_tool_arguments():
    diff = call_diff("edit", '{"file_path": "a.py", "old_string": "x = 1\\n", "new_string": "x = 2\\n"}')
    assert diff is not None and "-x = 1" in diff and "+x = 2" in diff and "a/a.py" in diff
    assert "+hello" in (call_diff("write_file", '{"file_path": "n.txt", "content": "hello\\n"}') or "")
    assert call_diff("bash", '{"command": "ls"}') is None
    assert call_diff("edit", "{not json") is None
    long = call_diff("write_file", '{"file_path": "n", "content": "' + "line\\n" * 500 + '"}') or ""
    assert "more lines" in long and len(long.splitlines()) < 70


def test_a_huge_output_is_cut_for_display():
    shown = shorten("x" * 100_000_000)
    assert len(shown) < SHOWN_CHARS + 100 and "not shown" in shown
    lines = shorten("\n".join(f"line {i}" for i in range(100_000)))
    assert "line 0" in lines and "line 99999" in lines and "lines not shown" in lines


def test_a_paste_is_inserted_whole_and_its_enters_do_not_send():
    sent = []
    box = InputBox(sent.append)
    left = box.filter_keys(["begin paste", "a", "enter", "b", "tab", "c", "end paste"])
    assert left == [] and box.text == "a\nb    c" and sent == []
    assert box.filter_keys(["x", "y", "enter"]) == ["enter"] and box.text.endswith("xy")
    box.keypress((40,), "enter")
    assert sent == ["a\nb    cxy"] and box.text == ""
    box.keypress((40,), "up")
    assert box.text == "a\nb    cxy"


def test_bus_patterns_in_the_inspector():
    assert matches("agent.*", "agent.ses_1") and not matches("agent.*", "agent.ses_1.task.x")
    assert matches("agent.#", "agent.ses_1.task.x") and matches("#", "anything.at.all")
    assert matches("swarm.*.tests", "swarm.ab.tests") and not matches("ralph.#", "swarm.ab")


def test_every_theme_defines_every_entry():
    names = set(theme.THEMES["marketing"])
    for name, entries in theme.THEMES.items():
        assert set(entries) == names, name
        assert len(theme.palette(name)) == len(names)
    assert theme.resolve("default", {}) == "marketing" and theme.resolve("auto", {"COLORFGBG": "0;15"}) == "light"
    assert theme.colors({"NO_COLOR": "1", "TERM": "xterm-256color"}) == 1
    assert theme.colors({"TERM": "screen"}) == 16 and theme.colors({"TERM": "xterm-256color"}) == 256


def test_a_saved_session_replays_as_events():
    call = ToolCall(id="c1", name="bash", arguments='{"command": "ls"}')
    messages = [
        Message.system("s"),
        Message.user("hi"),
        Message.assistant("let me see", [call]),
        Message.tool_result(call, "a.txt"),
        Message.assistant("done"),
    ]
    replayed = replay(messages)
    assert replayed[0] == ("user", "hi")
    kinds = [type(item).__name__ for kind, item in replayed if kind == "event"]
    assert kinds == ["TextDelta", "ToolCallStarted", "ToolCallFinished", "TextDelta"]
    assert isinstance(replayed[3][1], events.ToolCallFinished) and replayed[3][1].output == "a.txt"


def test_undo_restores_changed_files_and_removes_created_ones(git_repo: Path):
    (git_repo / "notes.txt").write_text("mine, untracked\n")
    snap = snapshot(git_repo)
    assert snap is not None
    (git_repo / "README.md").write_text("changed by the agent\n")
    (git_repo / "src").mkdir()
    (git_repo / "src" / "new.py").write_text("print(1)\n")
    assert changed_since(git_repo, snap) == ["README.md", "src/new.py"]
    assert sorted(undo(git_repo, snap)) == ["README.md", "src/new.py"]
    assert (git_repo / "README.md").read_text() == "# project\n" and not (git_repo / "src" / "new.py").exists()
    assert (git_repo / "notes.txt").read_text() == "mine, untracked\n"  # the user's own file is left alone
    status = subprocess.run(["git", "status", "--porcelain"], cwd=git_repo, capture_output=True, text=True)
    assert status.stdout == "?? notes.txt\n"


def test_undo_keeps_the_users_uncommitted_edits_from_before_the_run(git_repo: Path):
    (git_repo / "README.md").write_text("# project\nmy edit\n")
    snap = snapshot(git_repo)
    assert snap is not None
    (git_repo / "README.md").write_text("agent rewrote it\n")
    undo(git_repo, snap)
    assert (git_repo / "README.md").read_text() == "# project\nmy edit\n"


def test_no_snapshot_outside_git(tmp_path: Path):
    assert snapshot(tmp_path) is None


def test_the_inspector_line_of_a_huge_event_is_cut_before_encoding():
    from codetether.bus.messages import Envelope
    from codetether.tui.inspector import describe

    output = "x" * 100_000_000
    message = events.ToolCallFinished(call_id="c", name="bash", output=output, is_error=False, duration_ms=1)
    line = describe(Envelope(id="1", topic="agent.s", sender="t", ts=0.0, message=message))
    assert line.startswith("agent.s  tool_result  {") and len(line) < 400
