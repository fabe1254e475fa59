"""The sandbox spawner, against both twins: limits applied, stdio wired, failures raised, twins agree."""

import importlib
import os
import signal
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import compiled_expected

REPORT = "ulimit -t; ulimit -f; ulimit -n; ulimit -u; ulimit -c; id -u; echo $HOME; pwd"


def run_capture(module, argv, limits, **kwargs) -> tuple[str, int]:
    read, write = os.pipe()
    pid = module.spawn(argv, {"PATH": "/usr/bin:/bin", "HOME": "/nowhere"}, "/tmp", limits, stdout=write, **kwargs)
    os.close(write)
    chunks = []
    while data := os.read(read, 4096):
        chunks.append(data)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks).decode(), os.waitstatus_to_exitcode(status)


def test_limits_environment_and_cwd_reach_the_child(sandbox):
    limits = {"cpu_seconds": 7, "file_size": 1024 * 1024, "open_files": 64, "processes": 50, "core_size": 0}
    out, code = run_capture(sandbox, ["/bin/bash", "-c", REPORT], limits)
    assert code == 0
    assert out.split() == ["7", "1024", "64", "50", "0", str(os.geteuid()), "/nowhere", "/tmp"]  # -f: 1 KiB blocks


def test_runs_in_its_own_session_and_process_group(sandbox):
    out, _ = run_capture(sandbox, ["/bin/sh", "-c", "ps -o pid=,pgid=,sid= -p $$"], {})
    pid, pgid, sid = out.split()
    assert pid == pgid == sid


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another uid needs root")
def test_drops_to_an_unprivileged_user(sandbox):
    out, _ = run_capture(sandbox, ["/bin/sh", "-c", "id -u; id -G"], {}, uid=65534, gid=65534)
    assert out.split() == ["65534", "65534"]


def test_failures_are_raised_not_returned(sandbox):
    with pytest.raises(OSError) as err:
        sandbox.spawn(["/no/such/program"], {}, "/tmp", {})
    assert err.value.errno == 2
    with pytest.raises(OSError, match="not found on PATH"):
        sandbox.spawn(["no-such-program"], {"PATH": "/bin"}, "/tmp", {})
    with pytest.raises(OSError, match="chdir"):
        sandbox.spawn(["/bin/true"], {}, "/no/such/dir", {})
    with pytest.raises(ValueError, match="unknown limit"):
        sandbox.spawn(["/bin/true"], {}, "/tmp", {"gpu_hours": 1})
    with pytest.raises(ValueError, match="non-negative"):
        sandbox.spawn(["/bin/true"], {}, "/tmp", {"cpu_seconds": -1})
    with pytest.raises(ValueError, match="argv"):
        sandbox.spawn([], {}, "/tmp", {})


def _spawn_from_a_thread_that_ends(sandbox, **kwargs) -> int:
    """Spawn a long sleep from a thread and let that thread exit (the event where PDEATHSIG fires)."""
    pids: list[int] = []
    thread = threading.Thread(
        target=lambda: pids.append(sandbox.spawn(["/bin/sleep", "300"], {}, "/tmp", {}, **kwargs))
    )
    thread.start()
    thread.join()
    return pids[0]


def test_child_gets_its_parent_death_signal_when_the_spawning_thread_ends(sandbox):
    pid = _spawn_from_a_thread_that_ends(sandbox, parent_death_signal=signal.SIGKILL)
    _, status = os.waitpid(pid, 0)  # returns only because the kernel killed the sleep
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def test_without_a_parent_death_signal_the_child_outlives_the_spawning_thread(sandbox):
    pid = _spawn_from_a_thread_that_ends(sandbox)
    try:
        assert os.waitpid(pid, os.WNOHANG) == (0, 0)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_parent_death_signal_survives_the_drop_to_an_unprivileged_user(sandbox):
    if os.geteuid() != 0:
        pytest.skip("dropping to another uid needs root")
    pid = _spawn_from_a_thread_that_ends(sandbox, parent_death_signal=signal.SIGKILL, uid=65534, gid=65534)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


@settings(max_examples=25, deadline=None)
@given(cpu=st.integers(1, 1000), size_kb=st.integers(1, 10**6), files=st.integers(16, 1024), procs=st.integers(20, 500))
def test_twins_agree_on_any_limits(cpu, size_kb, files, procs):
    py = importlib.import_module("ctcore._sandbox_py")
    try:
        c = importlib.import_module("ctcore._sandbox_c")
    except ImportError:
        if compiled_expected():
            raise
        pytest.skip("compiled sandbox not built")
    limits = {"cpu_seconds": cpu, "file_size": size_kb * 1024, "open_files": files, "processes": procs}
    assert run_capture(c, ["/bin/bash", "-c", REPORT], limits) == run_capture(py, ["/bin/bash", "-c", REPORT], limits)


def test_canary_compiled_sandbox_loaded_where_it_should():
    import ctcore.sandbox as selected

    if os.environ.get("CODETETHER_NO_EXTENSIONS"):
        assert selected.IMPLEMENTATION == "python"
        return
    if any(Path(selected.__file__).parent.glob("_sandbox_c.*.so")) or compiled_expected():
        assert selected.IMPLEMENTATION == "c", "ctcore._sandbox_c exists or is required but did not load"
    else:
        pytest.skip("no compiled sandbox in this install")
