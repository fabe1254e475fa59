"""No process a tool starts outlives its call (unless it detaches on purpose), nor the agent.

Pids reach the test through a FIFO the command writes into, so the test waits on that write and on
the process's pidfd (``tests.procs.exited``): no sleeps, no polling intervals.
"""

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest

from codetether.config import Config
from codetether.config.schema import SandboxSection
from codetether.security.sandbox import network_isolation
from codetether.tools.lsp_client import LSPClient
from tests.agent.test_run_e2e import configure
from tests.fakes.llm import Call, Reply
from tests.procs import HANG_GUARD, exited
from tests.tools.conftest import Harness


def _pid_from(output: str) -> int:
    return int(output.split("bg=", 1)[1].split()[0])


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat fields after the command name: state, ppid, pgrp, session, ..."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _running(pid: int) -> bool:
    try:
        return _stat(pid)[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _reaped(pid: int):
    """Whatever the test finds, the process is gone after it."""
    try:
        yield pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
async def tools(tmp_path: Path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return Harness(workspace)


async def test_a_background_child_is_killed_when_the_bash_call_ends(tools):
    out = await tools.ok("bash", command="sleep 300 >/dev/null 2>&1 & echo bg=$!")
    assert "[exit code 0]" in out
    with _reaped(_pid_from(out)) as pid:
        assert await exited(pid)


async def test_a_background_child_holding_the_output_neither_holds_the_call_nor_survives_it(tools):
    outcome = await tools.call("bash", command="sleep 300 & echo bg=$!", timeout=30)
    assert not outcome.is_error and outcome.output.endswith("[exit code 0]"), outcome.output  # not "[timed out ...]"
    with _reaped(_pid_from(outcome.output)) as pid:
        assert await exited(pid)


async def test_a_background_job_in_its_own_process_group_is_left_running_on_purpose(tools):
    # The documented way to detach (bash.md): job control puts the job in its own group before `&` returns.
    out = await tools.ok("bash", command="set -m; sleep 300 >/dev/null 2>&1 </dev/null & echo bg=$!")
    with _reaped(_pid_from(out)) as pid:
        assert int(_stat(pid)[2]) == pid  # its own process group: the call's group was killed without it
        assert _running(pid)


async def test_a_sandboxed_call_kills_its_background_children_too(tmp_path):
    if network_isolation() is not None:
        pytest.skip(f"the sandbox cannot isolate the network here: {network_isolation()}")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    workspace.chmod(0o777)  # the sandboxed command may run as an unprivileged user
    harness = Harness(workspace, settings=Config(sandbox=SandboxSection(bash=True)))
    out = await harness.ok("bash", command="sleep 300 >/dev/null 2>&1 & echo bg=$!")
    with _reaped(_pid_from(out)) as pid:
        assert await exited(pid)


def _read_fifo(path: Path) -> str:
    with path.open() as f:  # blocks until the command opens it for writing
        return f.read()


@pytest.mark.parametrize("sandboxed", [False, True], ids=["plain", "sandboxed"])
async def test_tool_processes_die_with_an_agent_killed_by_sigkill(llm, tmp_path, config_file, sandboxed):
    if sandboxed and network_isolation() is not None:
        pytest.skip(f"the sandbox cannot isolate the network here: {network_isolation()}")
    repo = tmp_path / "repo"
    repo.mkdir()
    repo.chmod(0o777)  # the sandboxed command may run as an unprivileged user
    fifo = repo / "pid.fifo"
    os.mkfifo(fifo, 0o666)
    fifo.chmod(0o666)
    configure(config_file, llm, "[sandbox]\nbash = true\n" if sandboxed else "")
    # A grandchild of the agent (bash forks it): PR_SET_PDEATHSIG alone would not reach it.
    command = "sleep 300 >/dev/null 2>&1 & echo $! > pid.fifo; wait"
    llm.script(Reply(calls=[Call("bash", {"command": command, "timeout": 600})]), Reply(text="unreachable"))
    agent = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "codetether", "run", "--model", "fake/fake-large", "--format", "jsonl", "--yolo", "start a sleeper"),
        cwd=repo,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    reading = asyncio.ensure_future(asyncio.to_thread(_read_fifo, fifo))
    try:
        done, _ = await asyncio.wait(
            [reading, asyncio.ensure_future(agent.wait())], timeout=HANG_GUARD, return_when=asyncio.FIRST_COMPLETED
        )
        if reading not in done:
            with open(fifo, "w"):  # unblock the reader thread
                pass
            err = (await agent.stderr.read()).decode() if agent.returncode is not None else "(still running)"
            pytest.fail(f"the command never reported its pid; agent stderr: {err}")
        sleeper = int((await reading).strip())
        with _reaped(sleeper):
            assert _running(sleeper)
            agent.kill()  # SIGKILL: the agent runs no cleanup at all
            await agent.wait()
            assert await exited(sleeper)
    finally:
        if agent.returncode is None:
            agent.kill()
            await agent.wait()


FAKE_LSP = Path(__file__).parents[1] / "fakes" / "lsp_server.py"


async def test_what_a_language_server_started_ends_with_the_session(tmp_path):
    pid_file = tmp_path / "helper.pid"
    client = LSPClient([sys.executable, str(FAKE_LSP), str(tmp_path / "env.json"), str(pid_file)], tmp_path)
    await client.start(timeout=30)
    with _reaped(int(pid_file.read_text())) as helper:
        assert _running(helper)
        await client.close()
        assert await exited(helper)


DRIVER = """
import asyncio, sys
from pathlib import Path
from codetether.tools.lsp_client import LSPClient

async def main():
    client = LSPClient([sys.executable, *sys.argv[1:]], Path.cwd())
    await client.start(timeout=30)
    print("started", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_what_a_language_server_started_dies_with_an_agent_killed_by_sigkill(tmp_path):
    pid_file = tmp_path / "helper.pid"
    agent = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", DRIVER, str(FAKE_LSP), str(tmp_path / "env.json"), str(pid_file)),
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await asyncio.wait_for(agent.stdout.readline(), HANG_GUARD) == b"started\n"
        with _reaped(int(pid_file.read_text())) as helper:
            assert _running(helper)
            agent.kill()
            await agent.wait()
            assert await exited(helper)
    finally:
        if agent.returncode is None:
            agent.kill()
            await agent.wait()
