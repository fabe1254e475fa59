"""The sandbox against real hostile programs; each is stopped by the right limit and reported as such."""

import os
import shutil
import socket

import pytest

from codetether.security.sandbox import SandboxError, SandboxPolicy, network_isolation, run
from tests.procs import exited, group_members

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")  # readable by the unprivileged sandbox user
needs_python = pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no system python3 in /usr/bin for hostile scripts")


@pytest.fixture
def scratch(tmp_path):
    directory = tmp_path / "box"
    directory.mkdir()
    directory.chmod(0o777)  # the sandboxed program may run as an unprivileged user
    return directory


def policy(**overrides) -> SandboxPolicy:
    return SandboxPolicy(**{"max_wall_seconds": 10.0, "max_cpu_seconds": 5, **overrides})


async def test_ordinary_program_runs_and_reports_output(scratch):
    result = await run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], policy(), scratch)
    assert (result.exit_code, result.stdout, result.stderr, result.limit) == (3, "out\n", "err\n", None)


@needs_python
async def test_memory_hog(scratch):
    code = "x = bytearray(1024 * 1024 * 1024); print('allocated')"
    result = await run([SYSTEM_PYTHON, "-c", code], policy(max_memory_mb=256), scratch)
    assert result.limit == "memory" and "allocated" not in result.stdout and result.exit_code != 0


async def test_cpu_spinner(scratch):
    # The wall limit (10 s) would end it too, as "wall": "cpu" proves the CPU limit struck first.
    result = await run(["/bin/sh", "-c", "while :; do :; done"], policy(max_cpu_seconds=1), scratch)
    assert result.limit == "cpu" and result.cpu_seconds >= 0.9


async def test_fork_bomb(scratch):
    bomb = "echo leader=$$; bomb() { bomb | bomb & }; bomb; sleep 2; echo survived"
    result = await run(["/bin/sh", "-c", bomb], policy(max_processes=16, max_wall_seconds=6), scratch)
    assert result.limit in ("processes", "wall")
    leader = int(result.stdout.split("leader=", 1)[1].split()[0])
    for pid in group_members(leader):  # nothing of the bomb can act any more (zombies may wait for init)
        assert await exited(pid)
    probe = await run(["/bin/echo", "host still fine"], policy(), scratch)  # the host stays responsive
    assert probe.stdout == "host still fine\n"


async def test_file_size_bomb(scratch):
    result = await run(["/bin/sh", "-c", "exec head -c 50000000 /dev/zero > big"], policy(max_file_size_mb=1), scratch)
    assert result.limit == "file_size"
    assert (scratch / "big").stat().st_size <= 1024 * 1024


async def test_sleeper_past_its_wall_time(scratch):
    # The background sleep keeps the output pipes open: the run must not wait for it, and must not leave it.
    result = await run(["/bin/sh", "-c", "sleep 1000 & echo bg=$!; sleep 1000"], policy(max_wall_seconds=1), scratch)
    assert result.limit == "wall"
    assert await exited(int(result.stdout.split("bg=", 1)[1].split()[0]))


@needs_python
async def test_network_denied_even_to_loopback(scratch):
    if network_isolation() is not None:
        pytest.skip(f"network namespaces unavailable here: {network_isolation()}")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')"
    try:
        denied = await run([SYSTEM_PYTHON, "-c", code], policy(network="deny"), scratch)
        with pytest.raises(BlockingIOError):
            listener.accept()
        allowed = await run([SYSTEM_PYTHON, "-c", code], policy(network="allow"), scratch)
    finally:
        listener.close()
    assert "connected" not in denied.stdout and denied.exit_code != 0
    assert "unreachable" in denied.stderr.lower() or "refused" in denied.stderr.lower()
    assert allowed.stdout == "connected\n"


async def test_no_secrets_in_the_environment(scratch, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak-0123456789")
    monkeypatch.setenv("VAULT_TOKEN", "hvs.must-not-leak")
    result = await run(["/usr/bin/env"], policy(), scratch, env={"PLUGIN_SETTING": "1"})
    assert "must-not-leak" not in result.stdout
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert names == {"PATH", "HOME", "LANG", "PLUGIN_SETTING"}


async def test_runs_unprivileged_when_codetether_is_root(scratch):
    result = await run(["/usr/bin/id", "-u"], policy(), scratch)
    expected = "65534" if os.geteuid() == 0 else str(os.geteuid())
    assert result.stdout.strip() == expected


async def test_unenforceable_policies_are_refused(scratch):
    with pytest.raises(SandboxError, match="allowlists"):
        await run(["/bin/true"], policy(network=["example.com:443"]), scratch)
    with pytest.raises(SandboxError, match="writable_paths"):
        await run(["/bin/true"], policy(writable_paths=["/tmp"]), scratch)
    with pytest.raises(SandboxError, match="not found"):
        await run(["no-such-program"], policy(), scratch)


async def test_bash_tool_runs_in_the_sandbox_when_configured(scratch):
    from codetether.config import Config
    from codetether.config.schema import SandboxSection
    from tests.tools.conftest import Harness

    harness = Harness(scratch, settings=Config(sandbox=SandboxSection(bash=True, max_cpu_seconds=1)))
    out = await harness.ok("bash", command="env | grep -c _API_KEY; id -u; echo done")
    assert "done" in out and "[exit code 0]" in out
    spin = await harness.ok("bash", command="while :; do :; done")
    assert "stopped by the sandbox's cpu limit" in spin
