"""The real program in a real terminal (tmux) against the fake LLM server: chat, permissions, questions."""

import subprocess

from tests.fakes.llm import Call, Fault, Reply

from .conftest import answered, configure

STATUS = "fake/fake-large"


async def test_prompt_streams_a_markdown_answer(llm, term, config_file):
    configure(config_file, llm)
    llm.script(
        Reply(text="Here is **the** fix:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\nAll done.", chunk=2)
    )
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.type("write add")
    await term.send("Enter")
    screen = await term.wait_for(lambda s: "All done." in s and "idle" in s.splitlines()[-1])
    assert "> write add" in screen
    assert "Here is the fix:" in screen  # bold markers rendered, not shown
    assert "─ python ─" in screen and "def add(a, b):" in screen
    assert "12↑ 7↓ tok" in screen and "idle" in screen.splitlines()[-1]
    assert llm.requests[0].body["messages"][-1]["content"] == "write add"


async def test_ctrl_j_makes_a_multi_line_prompt_and_history_recalls_it(llm, term, config_file):
    configure(config_file, llm)
    llm.script(Reply(text="first"), Reply(text="second"))
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.type("line one")
    await term.send("C-j")
    await term.type("line two")
    screen = await term.wait_for("line two")
    assert "> line one" in screen  # still in the input, on two lines
    await term.send("Enter")
    await answered(term, "first")
    assert llm.requests[0].body["messages"][-1]["content"] == "line one\nline two"
    await term.send("Up")
    await term.wait_for(
        lambda s: s.splitlines()[-3:-1] == ["> line one", "line two"] or "line two" in s.splitlines()[-2]
    )
    await term.send("Enter")
    await answered(term, "second")
    assert llm.requests[1].body["messages"][-1]["content"] == "line one\nline two"


async def test_a_large_paste_is_one_prompt(llm, term, config_file):
    configure(config_file, llm)
    llm.script(Reply(text="got it"))
    await term.start("tui")
    await term.wait_for(STATUS)
    pasted = "".join(f"row {i} of the pasted log\n" for i in range(2000))  # ~50 KB, with newlines
    await term.paste(pasted)
    await term.wait_for("row 1999 of the pasted log")
    await term.send("Enter")
    await answered(term, "got it")
    assert llm.requests[0].body["messages"][-1]["content"] == pasted


async def test_permission_prompt_allow_once_and_deny(llm, term, config_file, git_repo):
    configure(config_file, llm)  # [agent] access_mode defaults to ask
    llm.script(
        Reply(calls=[Call("bash", {"command": "touch allowed.txt"})]),
        Reply(text="made it"),
        Reply(calls=[Call("bash", {"command": "touch denied.txt"})]),
        Reply(text="was refused"),
    )
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.type("make a file")
    await term.send("Enter")
    screen = await term.wait_for("Allow once")
    assert "Allow bash to run:" in screen and "touch allowed.txt" in screen
    assert "Always allow this pattern" in screen and "Deny" in screen
    await term.send("y")
    screen = await answered(term, "made it")
    assert (git_repo / "allowed.txt").exists()
    assert "✓ bash touch allowed.txt" in screen
    await term.type("another")
    await term.send("Enter")
    await term.wait_for("touch denied.txt")
    await term.wait_for("Deny")
    await term.send("n")
    screen = await answered(term, "was refused")
    assert not (git_repo / "denied.txt").exists()
    assert "✗ bash touch denied.txt" in screen and "declined" in screen


async def test_an_edit_shows_its_diff_and_undo_reverts_it(llm, term, config_file, git_repo):
    configure(config_file, llm, '\n[agent]\naccess_mode = "approve"\n')
    llm.script(
        Reply(calls=[Call("read_file", {"file_path": "README.md"})]),
        Reply(calls=[Call("edit", {"file_path": "README.md", "old_string": "# project", "new_string": "# renamed"})]),
        Reply(calls=[Call("write_file", {"file_path": "NEW.md", "content": "brand new\n"})]),
        Reply(text="edited"),
    )
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.type("rename it")
    await term.send("Enter")
    screen = await answered(term, "edited")
    assert "-# project" in screen and "+# renamed" in screen and "+brand new" in screen
    assert (git_repo / "README.md").read_text() == "# renamed\n" and (git_repo / "NEW.md").exists()
    await term.type("/undo")
    await term.send("Enter")
    screen = await term.wait_for("undone:")
    assert "NEW.md" in screen and "README.md" in screen
    assert (git_repo / "README.md").read_text() == "# project\n" and not (git_repo / "NEW.md").exists()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=git_repo, capture_output=True, text=True).stdout
    assert status == ""


async def test_the_question_tool_is_a_selectable_list(llm, term, config_file):
    configure(config_file, llm)
    llm.script(
        Reply(calls=[Call("question", {"question": "Which database?", "options": ["SQLite", "PostgreSQL"]})]),
        Reply(text="PostgreSQL it is"),
    )
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.type("set up storage")
    await term.send("Enter")
    screen = await term.wait_for("Which database?")
    assert "SQLite" in screen and "PostgreSQL" in screen
    await term.send("?")  # typed into the answer: help must not replace a dialog the run waits on
    screen = await term.wait_for("answer: ?")
    assert "Keys" not in screen
    await term.send("BSpace")
    await term.wait_for(lambda s: "answer: ?" not in s)
    await term.send("Down")
    await term.send("Enter")
    await answered(term, "PostgreSQL it is")
    tool_message = llm.requests[1].body["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == "The user answered: PostgreSQL"


async def test_tool_rows_expand_and_ctrl_s_opens_the_swarm_view(llm, term, config_file, git_repo):
    configure(config_file, llm)
    llm.script(Reply(calls=[Call("read_file", {"file_path": "README.md"})]), Reply(text="read it"))
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.type("read the readme")
    await term.send("Enter")
    screen = await answered(term, "read it")
    assert "▸ ✓ read_file README.md" in screen and "result" not in screen
    await term.send("M-k")  # select the row above the answer: the tool call
    await term.send("C-o")
    screen = await term.wait_for("▾ ✓ read_file README.md")
    assert "arguments" in screen and '"file_path": "README.md"' in screen and "# project" in screen
    await term.send("C-o")
    screen = await term.wait_for("▸ ✓ read_file README.md")
    row = next(i for i, line in enumerate(screen.splitlines()) if "read_file README.md" in line)
    await term.tmux("send-keys", "-t", "t", "-l", f"\x1b[<0;3;{row + 1}M\x1b[<0;3;{row + 1}m")  # a click (SGR)
    await term.wait_for("▾ ✓ read_file README.md")
    await term.send("C-s")  # reaches the TUI: flow control is off while it runs
    await term.wait_for("no swarm has run")


async def test_a_prompt_typed_during_a_run_is_queued_and_sent_after_it(llm, term, config_file):
    configure(config_file, llm)
    llm.script(Fault("hang", seconds=3, reply=Reply(text="first done")), Reply(text="second done"))
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.type("first")
    await term.send("Enter")
    await term.wait_for("thinking")
    await term.type("second")
    await term.send("Enter")
    await term.wait_for("queued (sent when this run ends")
    await answered(term, "second done")
    prompts = [m["content"] for m in llm.requests[1].body["messages"] if m["role"] == "user"]
    assert prompts == ["first", "second"]
