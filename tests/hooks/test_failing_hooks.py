"""A hook that hangs, crashes or talks nonsense is reported to the user and otherwise ignored."""

import asyncio
import os
import select

from tests.fakes.llm import Call, Reply


def ended(pid: int, within: float = 30.0) -> bool:
    """Whether ``pid`` has exited (a zombie counts), waiting on its pidfd rather than polling."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], within)[0])
    finally:
        os.close(fd)


async def test_a_slow_hook_is_killed_at_its_timeout_with_what_it_started(hooked, tmp_path):
    pids = tmp_path / "pids"
    # The shell and the sleep it started in the background both record their pids, then it waits forever.
    hooked.add("pre_tool", f"sleep 600 & echo $$ $! > {pids}; wait", matcher="bash", timeout=3)
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "echo the tool ran"})]), Reply(text="ok"))
    finished = await hooked.run()
    assert finished.status == "submitted"
    assert "the tool ran" in hooked.last_message(1)["content"]  # a hook that timed out is no answer
    shell, child = map(int, pids.read_text().split())
    assert ended(shell) and ended(child)
    assert any("pre_tool hook" in n and "timed out after 3s and was killed" in n for n in hooked.notices)


async def test_a_crashing_hook_and_one_printing_garbage_are_reported_and_ignored(hooked):
    hooked.add("pre_tool", "echo 'Traceback: boom' >&2; exit 3")
    hooked.add("pre_tool", "echo '{not json'")
    hooked.add("stop", "kill -9 $$")
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "echo still here"})]), Reply(text="ok"))
    finished = await hooked.run()
    assert (finished.status, finished.text) == ("submitted", "ok")
    assert "still here" in hooked.last_message(1)["content"]
    assert any("exited with code 3 (Traceback: boom); ignored" in n for n in hooked.notices)
    assert any("printed output that is not valid JSON" in n for n in hooked.notices)
    assert any(n.startswith("stop hook `kill -9 $$` was killed by signal 9") for n in hooked.notices)


async def test_a_hook_that_cannot_start_is_reported(hooked, tmp_path):
    hooked.add("user_prompt", [str(tmp_path / "no-such-hook")])
    hooked.llm.script(Reply(text="ok"))
    finished = await hooked.run()
    assert finished.status == "submitted"
    assert any("user_prompt hook" in n and "could not start (FileNotFoundError" in n for n in hooked.notices)


async def test_a_user_prompt_hook_that_is_too_slow_does_not_hold_the_run(hooked):
    hooked.add("user_prompt", "exec sleep 600", timeout=1)
    hooked.llm.script(Reply(text="ok"))
    finished = await hooked.run()
    assert finished.status == "submitted"
    assert any("timed out after 1s" in n for n in hooked.notices)


async def test_ctrl_c_while_a_hook_runs_ends_the_run_and_the_hook(hooked, tmp_path):
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    # The hook says it started (and its pid) through the FIFO, then waits forever.
    hooked.add("user_prompt", f"echo $$ > {fifo}; exec sleep 600")
    run = asyncio.ensure_future(hooked.run())
    pid = int(await asyncio.to_thread(fifo.read_text))  # returns once the hook has written
    run.cancel()
    finished = await run
    assert finished.status == "interrupted"
    assert hooked.llm.requests == []
    assert ended(pid)
