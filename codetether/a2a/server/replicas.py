"""What the request handler needs from the other replicas sharing its task store.

One replica runs a task; any replica may be asked about it. The handler tells the hub which tasks
it runs and every event of them; the hub lets another replica follow those events, forwards a
cancel to the replica running the task, and finds tasks whose replica died so one survivor fails
them. ``None`` (the default, one server per store) keeps all of this out of the way.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from ..domain.types import StreamResponse, Task


class ReplicaHub(Protocol):
    replica_id: str

    async def start(
        self,
        cancel_local: Callable[[str], Awaitable[None]],
        fail_orphan: Callable[[str], Awaitable[None]],
        flush_first: Callable[[], None] | None = None,
    ) -> None:
        """Join (heartbeats, listening); ``cancel_local`` answers another replica's cancel of a task
        run here; ``fail_orphan`` fails a task whose replica died; ``flush_first`` (the task store's
        flush) runs before events go out, so a task is never older than what was announced of it."""

    async def stop(self) -> None: ...

    def claim_run(self, task_id: str) -> None:
        """This replica runs the task from now on (before its first save)."""

    def release_run(self, task_id: str) -> None: ...

    def announce(self, task: Task, event: StreamResponse) -> None:
        """An event of a task run here, for subscribers on other replicas."""

    def follow(self, task_id: str, end: object) -> tuple[asyncio.Queue, Callable[[], None]]:
        """A queue of the events of a task run elsewhere, from now on, ``end`` after its last (a
        terminal state); and the call that stops following."""

    async def remote_cancel(self, task_id: str, timeout: float) -> bool:
        """Ask the replica running the task to cancel it and wait until it ended; False when no live
        replica runs it (the caller cancels it itself)."""
