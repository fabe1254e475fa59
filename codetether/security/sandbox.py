"""Running untrusted programs under a policy: resource limits, a wall clock, no network, no secrets.

What each limit guarantees (Linux):
- ``max_memory_mb``: RLIMIT_AS — the process cannot map more address space; allocations past it fail
  (Python raises MemoryError, C's malloc returns NULL).
- ``max_cpu_seconds``: RLIMIT_CPU — the kernel sends SIGXCPU when the CPU time is used up.
- ``max_wall_seconds``: enforced here — the whole process group is killed (SIGTERM, then SIGKILL).
- The program never outlives the run, nor the agent: it gets ``PR_SET_PDEATHSIG`` (SIGKILL), and its
  process group carries a :mod:`~codetether.security.lifeline` guard that kills the group when the run
  ends or the agent dies (stdin is ``/dev/null``).
- ``max_processes``: RLIMIT_NPROC — counts every process of the uid, so when CodeTether runs as root
  the child is switched to an unprivileged uid first (root is exempt from this limit); otherwise the
  limit is the user's current process count plus ``max_processes``.
- ``max_file_size_mb``: RLIMIT_FSIZE — writing past it fails and raises SIGXFSZ.
- ``network = "deny"``: a fresh network namespace with no usable interface (not even loopback). If
  the kernel refuses namespaces, deny-network programs are refused rather than run unconfined.
- The environment is built from scratch: only PATH, HOME, LANG and what the caller passes.
``writable_paths`` and host:port allowlists need mount namespaces and packet filtering, which are
not implemented yet: a policy asking for them is rejected with that reason, never silently ignored.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Literal

import msgspec

from ctcore.sandbox import spawn

from ..errors import CodetetherError
from .lifeline import Lifeline, guarded

NOBODY = 65534
OUTPUT_CAP = 256 * 1024
KILL_GRACE = 1.0
_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")
_NPROC_MARKERS = ("Resource temporarily unavailable", "BlockingIOError", "fork: retry", "Cannot fork")


class SandboxError(CodetetherError):
    """The policy cannot be enforced here, or the program could not be started."""


class SandboxPolicy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    max_memory_mb: int = 512
    max_cpu_seconds: int = 30
    max_wall_seconds: float = 60.0
    max_processes: int = 32
    max_file_size_mb: int = 64
    network: Literal["deny", "allow"] | list[str] = "deny"
    writable_paths: list[str] = []

    def check(self) -> None:
        if isinstance(self.network, list):
            raise SandboxError(
                "network allowlists (host:port) are not enforced by this sandbox yet",
                'use network = "deny" or "allow"',
            )
        if self.writable_paths:
            raise SandboxError(
                "writable_paths is not enforced by this sandbox yet (it needs a mount namespace)",
                "leave it empty; the program runs as an unprivileged user when CodeTether runs as root",
            )
        for name in ("max_memory_mb", "max_cpu_seconds", "max_processes", "max_file_size_mb"):
            if getattr(self, name) <= 0:
                raise SandboxError(f"{name} must be positive")


def policy_from(settings: object, **overrides: object) -> SandboxPolicy:
    """A policy from a config section that names the same limits ([sandbox], [plugins])."""
    limits = {
        name: getattr(settings, name)
        for name in SandboxPolicy.__struct_fields__
        if name != "writable_paths" and hasattr(settings, name)
    }
    return SandboxPolicy(**{**limits, **overrides})


class SandboxResult(msgspec.Struct, kw_only=True):
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    limit: str | None  # which limit stopped it: wall, cpu, memory, processes, file_size
    duration: float
    cpu_seconds: float


@cache
def network_isolation() -> str | None:
    """None when a network namespace can be made here, else the reason it cannot."""
    try:
        pid = spawn(["/bin/true"], {}, "/", {}, isolate_network=True)
    except OSError as exc:
        return str(exc)
    os.waitpid(pid, 0)
    return None


def _own_process_count() -> int:
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count


def clean_env(cwd: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", **(extra or {})}


async def run(
    argv: list[str],
    policy: SandboxPolicy,
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    on_output: Callable[[str], None] | None = None,
) -> SandboxResult:
    """Run ``argv`` under ``policy``; never raises for what the program does, only for what cannot start."""
    policy.check()
    if policy.network == "deny" and (reason := network_isolation()) is not None:
        raise SandboxError(
            f"network isolation is unavailable here ({reason}); refusing to run a deny-network program unconfined",
            "allow network for it explicitly, or run CodeTether where user/network namespaces are permitted",
        )
    program_env = clean_env(cwd, env)
    _require_program(argv, program_env, cwd)
    root = os.geteuid() == 0
    limits = {
        "address_space": policy.max_memory_mb * 1024 * 1024,
        "cpu_seconds": policy.max_cpu_seconds,
        "file_size": policy.max_file_size_mb * 1024 * 1024,
        # +1: the lifeline guard is a process of the same user.
        "processes": (policy.max_processes if root else _own_process_count() + policy.max_processes) + 1,
        "core_size": 0,
    }
    out_read, out_write = os.pipe2(os.O_CLOEXEC)
    err_read, err_write = os.pipe2(os.O_CLOEXEC)
    lifeline = Lifeline()
    started = time.monotonic()
    try:
        # Spawned on the event loop's thread, which lives as long as the run: PDEATHSIG fires when it ends.
        pid = spawn(
            guarded(argv),
            program_env,
            str(cwd),
            limits,
            isolate_network=policy.network == "deny",
            uid=NOBODY if root else -1,
            gid=NOBODY if root else -1,
            stdin=lifeline.child_end,
            stdout=out_write,
            stderr=err_write,
            parent_death_signal=signal.SIGKILL,
        )
    except OSError as exc:
        for fd in (out_read, out_write, err_read, err_write):
            os.close(fd)
        lifeline.cut()
        raise SandboxError(str(exc)) from exc
    lifeline.started()
    os.close(out_write)
    os.close(err_write)
    loop = asyncio.get_running_loop()
    buffers = {out_read: bytearray(), err_read: bytearray()}
    done = {out_read: loop.create_future(), err_read: loop.create_future()}

    def readable(fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            if not done[fd].done():
                done[fd].set_result(None)
            return
        if len(buffers[fd]) < OUTPUT_CAP:
            buffers[fd] += data[: OUTPUT_CAP - len(buffers[fd])]
        if on_output:
            on_output(data.decode("utf-8", "replace"))

    for fd in buffers:
        os.set_blocking(fd, False)
        loop.add_reader(fd, readable, fd)
    waiter = loop.run_in_executor(None, os.wait4, pid, 0)
    timed_out = False
    try:
        try:
            await asyncio.wait_for(asyncio.shield(waiter), policy.max_wall_seconds)
        except TimeoutError:
            timed_out = True
            _kill_group(pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(waiter), KILL_GRACE)
            except TimeoutError:
                _kill_group(pid, signal.SIGKILL)
        _, status, usage = await waiter
        lifeline.cut()  # grandchildren left in the group die with it
        _kill_group(pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*done.values()), 2)
    finally:
        lifeline.cut()  # also when the run is cancelled: nothing of it keeps running
        for fd in buffers:
            loop.remove_reader(fd)
            os.close(fd)
    stdout = buffers[out_read].decode("utf-8", "replace")
    stderr = buffers[err_read].decode("utf-8", "replace")
    exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    cpu = usage.ru_utime + usage.ru_stime
    return SandboxResult(
        exit_code=exit_code,
        signal=sig,
        stdout=stdout,
        stderr=stderr,
        duration=time.monotonic() - started,
        cpu_seconds=cpu,
        limit=_which_limit(timed_out, sig, cpu, stderr, policy),
    )


def _require_program(argv: list[str], env: dict[str, str], cwd: Path) -> None:
    """The guard execs the program, so a missing one is caught here, before anything starts."""
    if not argv:
        raise SandboxError("no program to run")
    program = argv[0]
    found = os.access(cwd / program, os.X_OK) if "/" in program else shutil.which(program, path=env.get("PATH"))
    if not found:
        raise SandboxError(f"{program} not found (PATH={env.get('PATH', '')})")


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _which_limit(timed_out: bool, sig: int | None, cpu: float, stderr: str, policy: SandboxPolicy) -> str | None:
    if timed_out:
        return "wall"
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= policy.max_cpu_seconds - 0.05):
        return "cpu"
    if sig == signal.SIGXFSZ or "File too large" in stderr:
        return "file_size"
    if any(marker in stderr for marker in _MEMORY_MARKERS):
        return "memory"
    if any(marker in stderr for marker in _NPROC_MARKERS):
        return "processes"
    return None
