"""A command's process group dies when its tool call ends, and when the agent dies, even by SIGKILL.

Every command a tool starts leads its own process group. ``PR_SET_PDEATHSIG`` alone cannot keep
that group from outliving the agent: the kernel clears it in every forked child, so a shell's
``sleep 300 &`` never has it. Instead each group carries a guard: :func:`guarded` wraps the command
so that a tiny background ``sh`` in the same group blocks reading a pipe whose write end only the
agent holds. When the write end closes, because the call ended (:meth:`Lifeline.cut`) or because
the agent died and the kernel closed its descriptors, the read returns and the guard runs
``kill -9 0``: everything still in the group dies. A command that must outlive its call leaves the
group on purpose with ``setsid`` (a new session), which is documented in the bash tool's text.

The guard costs one ``sh`` fork per command. The command itself never sees the pipe: by default the
pipe is the guard's stdin and the command reads ``/dev/null``; a program that needs its stdin (a
language server) passes the pipe on another descriptor (``watch_fd``).
"""

import contextlib
import os

__all__ = ["GUARD", "Lifeline", "guarded"]

# fd 3 keeps the pipe for the watcher; the command's stdin becomes /dev/null and fd 3 is closed for it.
# sh exports the PWD it computes; the command's own shell sets its own, and a sandboxed program gets none.
GUARD = 'exec 3<&0 </dev/null; { read -r _ <&3; kill -9 0; } >/dev/null 2>&1 & exec 3<&-; unset PWD OLDPWD; exec "$@"'
# The same with the pipe on descriptor $1 (moved to 3, closed for the command); stdin is left alone.
# bash, not sh: dash cannot redirect descriptors above 9.
GUARD_FD = 'eval "exec 3<&$1 $1<&-"; shift; { read -r _ <&3; kill -9 0; } >/dev/null 2>&1 & exec 3<&-; exec "$@"'


def guarded(argv: list[str], watch_fd: int = 0) -> list[str]:
    """``argv`` run through the guard; the :class:`Lifeline`'s ``child_end`` is its stdin, or ``watch_fd``."""
    if watch_fd:
        return ["/bin/bash", "-c", GUARD_FD, "codetether-guard", str(watch_fd), *argv]
    return ["/bin/sh", "-c", GUARD, "codetether-guard", *argv]


class Lifeline:
    """The pipe between the agent and one command's guard."""

    def __init__(self) -> None:
        # Both ends are close-on-exec: no other child of the agent can hold the write end open.
        self.child_end, self._write_end = os.pipe()

    def started(self) -> None:
        """The child has its copy of the read end; the agent's copy goes."""
        if self.child_end >= 0:
            os.close(self.child_end)
            self.child_end = -1

    def cut(self) -> None:
        """End the command's group: the guard wakes and kills whatever is left in it."""
        self.started()
        if self._write_end >= 0:
            with contextlib.suppress(OSError):
                os.close(self._write_end)
            self._write_end = -1
