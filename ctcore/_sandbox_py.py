"""Pure-Python sandbox spawner: the readable specification that ``_sandbox_c`` must match.

``spawn`` forks; the child makes itself a new session (its own process group, so a timeout can
kill everything it started), applies resource limits, optionally enters a fresh network namespace
(no interfaces but a downed loopback: nothing is reachable), optionally drops to an unprivileged
uid/gid (root ignores RLIMIT_NPROC, so the process-count limit needs it), optionally asks the kernel
for a signal when its parent dies (``PR_SET_PDEATHSIG``, set after the uid change, which would clear
it), and execs ``argv`` with exactly ``env``. A failure before exec is reported to the parent
through a close-on-exec pipe, so ``spawn`` raises OSError instead of returning a child that never ran.
"""

import ctypes
import ctypes.util
import os
import resource
import signal
import struct

__all__ = ["CLONE_NEWNET", "LIMIT_NAMES", "spawn"]

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
PR_SET_PDEATHSIG = 1
_STEPS = {
    1: "setsid",
    2: "dup2",
    3: "chdir",
    4: "unshare(CLONE_NEWNET)",
    5: "setrlimit",
    6: "setgid",
    7: "setuid",
    8: "execve",
    9: "prctl(PR_SET_PDEATHSIG)",
}
# Limit name -> resource constant. Values are hard and soft limits in the resource's own unit.
LIMIT_NAMES = {
    "address_space": resource.RLIMIT_AS,
    "cpu_seconds": resource.RLIMIT_CPU,
    "processes": resource.RLIMIT_NPROC,
    "file_size": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "core_size": resource.RLIMIT_CORE,
}

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(limits: dict[str, int]) -> list[tuple[int, int]]:
    out = []
    for name, value in limits.items():
        if name not in LIMIT_NAMES:
            raise ValueError(f"unknown limit {name!r}; known: {', '.join(sorted(LIMIT_NAMES))}")
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"limit {name} must be a non-negative int, got {value!r}")
        out.append((LIMIT_NAMES[name], value))
    return out


def spawn(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    limits: dict[str, int],
    *,
    isolate_network: bool = False,
    uid: int = -1,
    gid: int = -1,
    stdin: int = -1,
    stdout: int = -1,
    stderr: int = -1,
    parent_death_signal: int = 0,
) -> int:
    """Start ``argv`` under the limits; returns the child's pid (also its process group id).

    ``parent_death_signal`` (e.g. SIGKILL) is sent to the child when the *thread* that called ``spawn``
    exits, so call it from a thread that lives as long as the child should (the event loop's).
    """
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError("argv must be a non-empty list of str")
    rlimits = _check(limits)
    args_path = argv[0].encode()
    path = args_path if b"/" in args_path else _which(args_path, env)
    if not os.path.exists(path):
        raise OSError(
            2,
            f"sandboxed spawn of {argv[0]!r} failed: FileNotFoundError: [Errno 2] No such file or directory: {path!r}",
        )
    # Without root, a network namespace needs a user namespace around it.
    unshare_flags = CLONE_NEWNET | (0 if os.geteuid() == 0 else CLONE_NEWUSER)
    env_bytes = {k.encode(): v.encode() for k, v in env.items()}
    args = [a.encode() for a in argv]
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: only async-signal-safe work from here to exec
        step = 0
        try:
            os.close(read_end)
            # Python ignores SIGPIPE and SIGXFSZ; restore them, or a file-size limit would never raise SIGXFSZ.
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            step = 1
            os.setsid()
            step = 2
            for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
                if fd >= 0:
                    os.dup2(fd, target)
            step = 3
            os.chdir(cwd)
            step = 4
            if isolate_network and _libc.unshare(unshare_flags) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
            step = 5
            for which, value in rlimits:
                # CPU: hard = soft + 1, so SIGXCPU (which says why) comes before SIGKILL.
                resource.setrlimit(which, (value, value + 1 if which == resource.RLIMIT_CPU else value))
            step = 6
            if gid >= 0:
                os.setgroups([])
                os.setgid(gid)
            step = 7
            if uid >= 0:
                os.setuid(uid)
            step = 9
            if parent_death_signal:
                if _libc.prctl(PR_SET_PDEATHSIG, parent_death_signal, 0, 0, 0) != 0:
                    raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
                if os.getppid() != parent:  # the parent died before the request took effect
                    raise OSError(3, "the parent exited before the child started")
            step = 8
            os.execve(path, args, env_bytes)
        except BaseException as exc:  # anything before exec: tell the parent, never run on as a copy of it
            os.write(write_end, struct.pack("ii", getattr(exc, "errno", None) or 1, step))
        finally:
            os._exit(127)
    os.close(write_end)
    report = b""
    while chunk := os.read(read_end, 256):
        report += chunk
    os.close(read_end)
    if report:
        os.waitpid(pid, 0)
        errno, step = struct.unpack("ii", report[:8])
        raise OSError(errno, f"sandboxed spawn of {argv[0]!r} failed at {_STEPS.get(step, step)}: {os.strerror(errno)}")
    return pid


def _which(name: bytes, env: dict[str, str]) -> bytes:
    for directory in env.get("PATH", "/usr/bin:/bin").split(":"):
        candidate = os.path.join(directory.encode(), name)
        if os.access(candidate, os.X_OK):
            return candidate
    raise OSError(2, f"{name.decode()} not found on PATH")
