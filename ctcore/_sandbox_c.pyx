# cython: language_level=3
"""Compiled sandbox spawner; ``_sandbox_py`` is its specification and the tests hold them equal.

The child is started with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no page tables are
copied, the parent waits only until the child has exec'd (or failed), and all signals are blocked
around the clone so no Python handler can ever run in the child. Everything between clone and
execve is plain C on a private stack. ``parent_death_signal`` is set with prctl after the uid change
(which would clear it) and fires when the thread that called ``spawn`` exits.
"""

import os

from libc.stdlib cimport malloc, free
from libc.string cimport memset

__all__ = ["CLONE_NEWNET", "LIMIT_NAMES", "spawn"]

cdef extern from *:
    """
    #define _GNU_SOURCE
    #include <errno.h>
    #include <grp.h>
    #include <sched.h>
    #include <sys/prctl.h>
    #include <signal.h>
    #include <sys/resource.h>
    #include <unistd.h>
    #include <pthread.h>

    #define CT_MAX_LIMITS 8
    typedef struct {
        const char *path;
        char *const *argv;
        char *const *envp;
        const char *cwd;
        int nlimits;
        int resources[CT_MAX_LIMITS];
        long long values[CT_MAX_LIMITS];
        int isolate_network;
        int uid;
        int gid;
        int fds[3];
        int err_fd;
        int death_signal;
        pid_t parent;
        sigset_t parent_mask;
    } ct_spawn_args;

    static int ct_child(void *raw) {
        ct_spawn_args *a = (ct_spawn_args *)raw;
        int step = 0, i, e;
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (i = 1; i < NSIG; i++) {
            struct sigaction old;
            if (i == SIGKILL || i == SIGSTOP) continue;
            if (sigaction(i, NULL, &old) == 0 && old.sa_handler != SIG_IGN) sigaction(i, &dfl, NULL);
        }
        /* Python ignores these two; restore them, or a file-size limit would never raise SIGXFSZ. */
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGXFSZ, &dfl, NULL);
        sigprocmask(SIG_SETMASK, &a->parent_mask, NULL);
        step = 1; if (setsid() < 0) goto fail;
        step = 2;
        for (i = 0; i < 3; i++) if (a->fds[i] >= 0 && dup2(a->fds[i], i) < 0) goto fail;
        step = 3; if (chdir(a->cwd) < 0) goto fail;
        step = 4; if (a->isolate_network && unshare(a->isolate_network) < 0) goto fail;
        step = 5;
        for (i = 0; i < a->nlimits; i++) {
            struct rlimit r;
            r.rlim_cur = r.rlim_max = (rlim_t)a->values[i];
            /* CPU: a hard limit one second above the soft one, so the kernel sends SIGXCPU (which says
               why) before SIGKILL; at equal limits it sends SIGKILL straight away. */
            if (a->resources[i] == RLIMIT_CPU) r.rlim_max = r.rlim_cur + 1;
            if (setrlimit(a->resources[i], &r) < 0) goto fail;
        }
        step = 6;
        if (a->gid >= 0 && (setgroups(0, NULL) < 0 || setgid((gid_t)a->gid) < 0)) goto fail;
        step = 7; if (a->uid >= 0 && setuid((uid_t)a->uid) < 0) goto fail;
        /* After the uid change, which clears it; a parent gone before it took effect is checked. */
        step = 9;
        if (a->death_signal && prctl(PR_SET_PDEATHSIG, a->death_signal, 0, 0, 0) < 0) goto fail;
        if (a->death_signal && getppid() != a->parent) { errno = ESRCH; goto fail; }
        step = 8; execve(a->path, a->argv, a->envp);
    fail:
        e = errno;
        (void)!write(a->err_fd, &e, sizeof e);
        (void)!write(a->err_fd, &step, sizeof step);
        _exit(127);
        return 0;
    }

    static pid_t ct_spawn(ct_spawn_args *a, char *stack, size_t size) {
        sigset_t all;
        pid_t pid;
        int saved;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &a->parent_mask);
        pid = clone(ct_child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
        saved = errno;
        pthread_sigmask(SIG_SETMASK, &a->parent_mask, NULL);
        errno = saved;
        return pid;
    }
    """
    ctypedef struct ct_spawn_args:
        const char *path
        char **argv
        char **envp
        const char *cwd
        int nlimits
        int resources[8]
        long long values[8]
        int isolate_network
        int uid
        int gid
        int fds[3]
        int err_fd
        int death_signal
        int parent
    int ct_spawn(ct_spawn_args *a, char *stack, size_t size)
    int errno

import resource

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
LIMIT_NAMES = {
    "address_space": resource.RLIMIT_AS,
    "cpu_seconds": resource.RLIMIT_CPU,
    "processes": resource.RLIMIT_NPROC,
    "file_size": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "core_size": resource.RLIMIT_CORE,
}
_STEPS = {1: "setsid", 2: "dup2", 3: "chdir", 4: "unshare(CLONE_NEWNET)", 5: "setrlimit", 6: "setgid",
          7: "setuid", 8: "execve", 9: "prctl(PR_SET_PDEATHSIG)"}
DEF STACK_SIZE = 65536


def _check(limits):
    out = []
    for name, value in limits.items():
        if name not in LIMIT_NAMES:
            raise ValueError(f"unknown limit {name!r}; known: {', '.join(sorted(LIMIT_NAMES))}")
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"limit {name} must be a non-negative int, got {value!r}")
        out.append((LIMIT_NAMES[name], value))
    return out


def _which(name, env):
    for directory in env.get("PATH", "/usr/bin:/bin").split(":"):
        candidate = os.path.join(directory.encode(), name)
        if os.access(candidate, os.X_OK):
            return candidate
    raise OSError(2, f"{name.decode()} not found on PATH")


cdef char** _cstrings(list items) except NULL:
    cdef char** out = <char**>malloc((len(items) + 1) * sizeof(char*))
    if out == NULL:
        raise MemoryError()
    cdef Py_ssize_t i
    for i in range(len(items)):
        out[i] = <char*>(<bytes>items[i])
    out[len(items)] = NULL
    return out


def spawn(list argv, dict env, str cwd, dict limits, *, bint isolate_network=False, int uid=-1, int gid=-1,
          int stdin=-1, int stdout=-1, int stderr=-1, int parent_death_signal=0):
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError("argv must be a non-empty list of str")
    rlimits = _check(limits)
    if len(rlimits) > 8:
        raise ValueError("at most 8 limits")
    cdef list args = [a.encode() for a in argv]
    cdef list env_items = [f"{k}={v}".encode() for k, v in env.items()]
    cdef bytes path = args[0] if b"/" in args[0] else _which(args[0], env)
    if not os.path.exists(path):
        raise OSError(2, f"sandboxed spawn of {argv[0]!r} failed: FileNotFoundError: [Errno 2] No such file or "
                         f"directory: {path!r}")
    cdef bytes cwd_bytes = cwd.encode()
    cdef ct_spawn_args spec
    memset(&spec, 0, sizeof(spec))
    spec.path = path
    spec.cwd = cwd_bytes
    # The unshare flags; without root a network namespace needs a user namespace around it.
    spec.isolate_network = (CLONE_NEWNET | (0 if os.geteuid() == 0 else CLONE_NEWUSER)) if isolate_network else 0
    spec.uid = uid
    spec.gid = gid
    spec.fds[0] = stdin
    spec.fds[1] = stdout
    spec.fds[2] = stderr
    spec.death_signal = parent_death_signal
    spec.parent = os.getpid()
    spec.nlimits = len(rlimits)
    cdef int i
    for i in range(len(rlimits)):
        spec.resources[i] = rlimits[i][0]
        spec.values[i] = rlimits[i][1]
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    spec.err_fd = write_end
    spec.argv = _cstrings(args)
    spec.envp = NULL
    cdef char* stack = NULL
    cdef int pid
    try:
        spec.envp = _cstrings(env_items)
        stack = <char*>malloc(STACK_SIZE)
        if stack == NULL:
            raise MemoryError()
        pid = ct_spawn(&spec, stack, STACK_SIZE)
        if pid < 0:
            raise OSError(errno, f"clone failed: {os.strerror(errno)}")
    finally:
        free(spec.argv)
        free(spec.envp)
        free(stack)
        os.close(write_end)
    report = os.read(read_end, 64)
    os.close(read_end)
    if report:
        os.waitpid(pid, 0)
        err = int.from_bytes(report[:4], "little", signed=True)
        step = int.from_bytes(report[4:8], "little", signed=True)
        raise OSError(err, f"sandboxed spawn of {argv[0]!r} failed at {_STEPS.get(step, step)}: {os.strerror(err)}")
    return pid
