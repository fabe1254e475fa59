"""Appending to a session file off the event loop: ordered, fsynced, and awaitable.

An agent shares its event loop with others (an RLM's sub-queries, a swarm, the TUI, the A2A
server), so it must never wait on a disk there: a slow or stuck write would stall all of them.
``append`` only queues the bytes; a worker thread writes them in order, one write and one fsync
per batch, and ``durable()`` tells when everything queued so far is on disk. The first failure
stops the log: later records are refused rather than written after a gap.
"""

import errno
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ..errors import CodetetherError
from ..paths import ensure_private_dir

# Shared by every session of the process; each log runs at most one drain at a time, so its order
# holds, and one stuck file ties up one thread, not the others.
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="codetether-session-io")
        return _POOL


class SessionWriteError(CodetetherError):
    """A session file could not be written (a read-only or missing directory, a full disk)."""


class AppendLog:
    """One session file's queue of appends (see the module docstring)."""

    def __init__(self, path: Path, *, truncate_to: int | None = None) -> None:
        self.path = path
        self._truncate_to = truncate_to  # a torn final line to cut before the first append
        self._lock = threading.Lock()
        self._queue: list[bytes] = []
        self._queued = 0  # chunks ever queued
        self._written = 0  # chunks on disk
        self._waiters: list[tuple[int, Future[None]]] = []
        self._draining = False
        self._error: SessionWriteError | None = None
        self._dir_ready = False

    def append(self, data: bytes) -> None:
        """Queue ``data``; raises the write error that stopped this log, if any."""
        with self._lock:
            if self._error is not None:
                raise self._error
            self._queue.append(data)
            self._queued += 1
            if self._draining:
                return
            self._draining = True
        _pool().submit(self._drain)

    def durable(self) -> "Future[None]":
        """Resolves once everything queued so far is on disk, or fails with the write error."""
        future: Future[None] = Future()
        with self._lock:
            if self._error is not None:
                future.set_exception(self._error)
            elif self._written >= self._queued:
                future.set_result(None)
            else:
                self._waiters.append((self._queued, future))
        return future

    def _drain(self) -> None:
        while True:
            with self._lock:
                batch, self._queue = self._queue, []
                if not batch:
                    self._draining = False
                    return
            try:
                self._write(b"".join(batch))
            except OSError as exc:
                self._fail(exc)
                return
            with self._lock:
                self._written += len(batch)
                ready = [f for target, f in self._waiters if target <= self._written]
                self._waiters = [(t, f) for t, f in self._waiters if t > self._written]
            for future in ready:
                # A waiter cancelled (Ctrl+C during a flush) must not stop the drain: set_result would raise.
                if future.set_running_or_notify_cancel():
                    future.set_result(None)

    def _fail(self, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        if not self._dir_ready:
            error = SessionWriteError(
                f"cannot create the sessions directory {self.path.parent}: {reason}",
                "make it a writable directory, or point CODETETHER_DATA_DIR elsewhere",
            )
        else:
            error = SessionWriteError(f"cannot write the session file {self.path}: {reason}", "check the disk")
        with self._lock:
            self._error = error
            self._queue = []
            self._draining = False
            waiters, self._waiters = self._waiters, []
        for _, future in waiters:
            if future.set_running_or_notify_cancel():
                future.set_exception(error)

    def _write(self, data: bytes) -> None:
        if not self._dir_ready:
            if self.path.parent.exists() and not self.path.parent.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(self.path.parent))
            ensure_private_dir(self.path.parent)
            self._dir_ready = True
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if self._truncate_to is not None:  # cut the torn line first, or the next record would be glued to it
                os.ftruncate(fd, self._truncate_to)
                self._truncate_to = None
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            _fsync(fd)
        finally:
            os.close(fd)
        if created:  # the new file's name must survive a power loss too
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                _fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:  # EINVAL: a pipe or device, which has nothing to sync
        if exc.errno != errno.EINVAL:
            raise
