"""Views, slash commands, resizing, interrupting and resuming, in the real program under tmux."""

import asyncio

from tests.fakes.llm import Fault, Reply

from .conftest import answered, configure

STATUS = "fake/fake-large"


async def command(term, text: str) -> None:
    await term.type(text)
    await term.send("Enter")


async def back(term) -> None:
    """Esc, then wait for the chat to be back (a key typed at once would join the Esc as Alt+key)."""
    await term.send("Escape")
    await term.wait_for(lambda s: "Esc: back" not in s.splitlines()[-1] and "filter:" not in s)


async def test_each_view_and_slash_command(llm, term, config_file, tmp_path, data_dir):
    configure(config_file, llm)
    llm.script(Reply(text="hello there"))
    await term.start("tui", env={"CODETETHER_TUI_TRACE": str(tmp_path / "trace")})
    await term.wait_for(STATUS)
    await command(term, "hi")
    await answered(term, "hello there")

    await term.send("?")
    screen = await term.wait_for("Keys")
    assert "Commands" in screen and "f3" in screen
    await back(term)
    assert "hello there" in await term.screen()

    await command(term, "/help")
    await term.wait_for("model selector")
    await back(term)

    await command(term, "/inspector")
    screen = await term.wait_for("Bus inspector")
    assert "text_delta" in screen or "done" in screen
    await term.type("agent.*")  # the pattern filter: appended to "#" it matches nothing
    await term.wait_for("0 shown")
    for _ in range(len("#agent.*")):
        await term.send("BSpace")
    await term.type("agent.*")
    screen = await term.wait_for(lambda s: "shown" in s and "0 shown" not in s)
    assert "session_started" in screen or "usage" in screen
    await back(term)

    await command(term, "/swarm")
    await term.wait_for("no swarm has run")
    await back(term)
    await command(term, "/ralph")
    await term.wait_for("no Ralph run")
    await back(term)
    await command(term, "/view")
    await term.wait_for("Swarm")
    await back(term)

    await command(term, "/sessions")
    screen = await term.wait_for("Sessions in this directory")
    assert "ses_" in screen
    await back(term)
    await term.send("F3")
    screen = await term.wait_for("fake/fake-small")
    await term.type("small")
    await term.send("Enter")
    await term.wait_for("model: fake/fake-small")
    await command(term, "/model fake/fake-large")
    await term.wait_for("model: fake/fake-large")

    await command(term, "/webview")
    screen = await term.wait_for("Sessions")
    assert "Agents" in screen
    await term.send("C-b")
    await term.wait_for(lambda s: "Agents" not in s)

    await command(term, "/cost")
    await term.wait_for("12 tokens in, 7 out")
    await command(term, "/refresh")
    await term.wait_for("refreshed")
    await command(term, "/compact")
    await term.wait_for(lambda s: "context" in s or "nothing" in s or "compact" in s)

    await term.type("/insp")
    await term.send("Tab")
    await term.wait_for(lambda s: s.splitlines()[-2].rstrip() == "> /inspector")
    await term.send("Enter")
    await term.wait_for("Bus inspector")
    await back(term)
    await command(term, "/sesions")
    await term.wait_for("did you mean /sessions?")
    await command(term, "/new")
    await term.wait_for(lambda s: "new session" in s and "hello there" not in s and "0↑ 0↓" in s)
    await command(term, "/resume ses_nope")
    await term.wait_for("no session 'ses_nope'")
    (session_file,) = (data_dir / "sessions").glob("ses_*.jsonl")
    await command(term, f"/resume {session_file.stem}")
    screen = await term.wait_for(f"resumed session {session_file.stem}")
    assert "> hi" in screen and "hello there" in screen and "12↑ 7↓ tok" in screen  # usage so far, too
    await command(term, "/exit")
    await term.wait_for("[exit 0]")


async def test_resize_redraws_at_the_new_size(llm, term, config_file):
    configure(config_file, llm)
    llm.script(Reply(text="word " * 60))
    await term.start("tui")
    await term.wait_for(STATUS)
    await command(term, "talk")
    await term.wait_for(lambda s: s.count("word") >= 60 and "idle" in s)
    await term.resize(160, 48)
    screen = await term.wait_for(lambda s: len(s.splitlines()) == 48 and "idle" in s.splitlines()[-1])
    longest = max(len(line.rstrip()) for line in screen.splitlines())
    assert longest > 80  # the answer re-wrapped to the wider screen
    await term.resize(60, 15)
    screen = await term.wait_for(lambda s: len(s.splitlines()) == 15 and STATUS in s.splitlines()[-1])
    assert all(len(line) <= 60 for line in screen.splitlines())


async def test_interrupt_then_quit_then_resume(llm, term, config_file, git_repo):
    configure(config_file, llm)
    llm.script(Fault("hang", seconds=120), Reply(text="welcome back"))
    await term.start("tui")
    await term.wait_for(STATUS)
    await command(term, "a long task")
    await term.wait_for("thinking")
    for _ in range(1200):  # the model has the request (and hangs on it) before Ctrl+C; ~60 s at most
        if llm.requests:
            break
        await asyncio.sleep(0.05)
    assert llm.requests, "the TUI never sent the prompt"
    await term.send("C-c")
    screen = await term.wait_for("interrupted — the session is kept")
    assert "Ctrl+C again quits" in screen.splitlines()[-1]
    await term.send("C-c")  # the second press quits (well within 2 s of the first here)
    screen = await term.wait_for("[exit 0]")
    assert "kept; resume it with `codetether tui -c`" in screen
    session_id = screen.split("session ", 1)[1].split()[0]

    await term.tmux(
        "respawn-pane",
        "-k",
        "-t",
        "t",
        "sh",
        "-c",
        f"cd {git_repo} && {__import__('sys').executable} -m codetether tui -c; echo '[exit $?]'; sleep 3600",
    )
    screen = await term.wait_for(f"resumed session {session_id}")
    assert "> a long task" in screen
    await command(term, "go on")
    await answered(term, "welcome back")
    history = [m["content"] for m in llm.requests[-1].body["messages"] if m["role"] == "user"]
    assert history[0] == "a long task" and history[-1] == "go on"


async def test_bare_codetether_on_a_terminal_opens_the_tui_and_one_ctrl_c_does_not_quit(llm, term, config_file):
    configure(config_file, llm)
    await term.start()  # no subcommand
    await term.wait_for(STATUS)
    await term.send("C-c")
    await term.wait_for("Ctrl+C again quits")
    await term.send("C-c")
    await term.wait_for("[exit 0]")


async def test_unknown_session_is_one_clear_line(llm, term, config_file):
    configure(config_file, llm)
    await term.start("tui", "--session", "ses_nope")
    screen = await term.wait_for("no session 'ses_nope'")
    assert "Traceback" not in screen


def test_bare_codetether_without_a_terminal_prints_help(cli):
    result = cli()
    assert result.code == 0 and "Usage: codetether" in result.stdout and "tui" in result.stdout


def test_tui_without_a_terminal_says_so(cli):
    result = cli("tui")
    assert result.code != 0 and "the TUI needs a terminal" in result.stderr and "Traceback" not in result.stderr


async def test_ui_keys_are_rebindable(llm, term, config_file):
    configure(config_file, llm, '\n[ui.keys]\ninspector = "f7"\n')
    await term.start("tui")
    await term.wait_for(STATUS)
    await term.send("F7")
    await term.wait_for("Bus inspector")
