"""The handler's part in sharing one task store with other replicas (see :mod:`.replicas`).

A part of :class:`~.handler.RequestHandler`: following a task another replica runs, forwarding a
cancel to it, and the two calls the hub makes back (another replica's cancel of a task run here, and
failing a task whose replica died). With ``replicas`` None none of this is reached.
"""

import logging
from collections.abc import Awaitable, Callable

from ..domain import errors
from ..domain.executor import TaskUpdater
from ..domain.store import TaskStore
from ..domain.types import CancelTaskRequest, StreamResponse, Task, TaskState
from .replicas import ReplicaHub
from .runs import Run, view
from .streams import END, EventStream

log = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 10.0


class ReplicaMethods:
    """Replica operations; the class mixing them in provides the attributes annotated here."""

    store: TaskStore
    replicas: ReplicaHub | None
    _runs: dict[str, Run]
    _apply: Callable[[Run, StreamResponse], Awaitable[None]]
    on_cancel_task: Callable[..., Awaitable[Task]]

    def _follow_elsewhere(self, task: Task) -> EventStream:
        """A SubscribeToTask stream on a task not running here: whichever replica runs it (now, or after
        its next message) announces its events, this one among them; follow them from there."""
        queue, close = self.replicas.follow(task.id, END)
        fresh = self.store.get(task.id) or task  # read after following: nothing falls in between
        if fresh.status.state.terminal:
            queue.put_nowait(END)
        return EventStream(StreamResponse(task=view(fresh)), queue, close)

    async def _cancel_elsewhere(self, task: Task) -> Task:
        """Ask the replica running ``task`` to cancel it; the task as it is now (terminal if that replica
        canceled it, unchanged if no live replica runs it and the caller must cancel it itself)."""
        try:
            forwarded = await self.replicas.remote_cancel(task.id, CANCEL_GRACE_SECONDS + 5)
        except TimeoutError:
            raise errors.TaskNotCancelableError(
                f"task {task.id} did not stop on the server running it", metadata={"taskId": task.id}
            ) from None
        if forwarded:
            return self.store.get(task.id) or task
        return task

    async def cancel_here(self, task_id: str) -> None:
        """Another replica's cancel of a task running here (see ``replicas``)."""
        run = self._runs.get(task_id)
        if run is None or run.job is None or run.job.done():
            return
        try:
            await self.on_cancel_task(CancelTaskRequest(id=task_id, tenant=run.tenant))
        except errors.A2AError as exc:
            log.warning("could not cancel task %s for another replica: %s", task_id, exc)

    async def fail_orphan(self, task_id: str) -> None:
        """Fail a task whose replica died while running it (the hub found it)."""
        task = self.store.get(task_id)
        if task is None or task_id in self._runs or task.status.state not in (TaskState.SUBMITTED, TaskState.WORKING):
            return
        owner, tenant = self.store.ownership(task_id) or ("", "")
        run = Run(task, owner, tenant)
        updater = TaskUpdater(task.id, task.context_id, lambda event: self._apply(run, event))
        await updater.fail("the server running this task stopped")
        await self.store.committed()

    def _release(self, task_id: str) -> None:
        """This replica no longer runs the task (its job ended)."""
        if self.replicas is not None:
            try:
                self.replicas.release_run(task_id)
            except Exception:  # the reaper skips a task that ended; a stale row costs nothing
                log.exception("could not release task %s", task_id)
