"""``serve --queue-only``: the A2A executor that hands each task to the worker fleet instead of running it.

A task is queued at once (state ``submitted``, "queued for a worker"), and what its worker reports
becomes A2A updates on it: output chunks are appended to one ``output`` artifact, status lines are
``working`` updates, the release ends the task ``completed``, ``failed`` or ``input-required``. A
lease that runs out (the worker died) or a worker that gives the task back puts it on the queue
again and says so in a ``working`` update. Cancelling the A2A task takes it off the queue; the
worker's next report on it is refused (409) and it stops.
"""

from typing import Any

from ..a2a.domain.executor import RequestContext, TaskUpdater
from ..a2a.domain.types import Role, TaskState
from .queue import WorkQueue
from .types import WorkItem

MODES = ("agent", "swarm", "ralph")


def work_item(context: RequestContext) -> WorkItem:
    """The task as a worker needs it: the prompt (with the conversation so far) and where to run it."""
    options: dict[str, Any] = {**(context.message.metadata or {}), **(context.metadata or {})}
    mode = options.get("mode", "agent")
    if mode not in MODES:
        mode = "agent"
    earlier = [m for m in context.task.history if m.message_id != context.message.message_id]
    prompt = context.text
    if earlier:
        lines = [f"{'user' if m.role is Role.USER else 'agent'}: {m.text()}" for m in earlier]
        prompt = "Conversation so far:\n" + "\n".join(lines) + f"\n\nNow: {context.text}"
    model = options.get("model")
    return WorkItem(
        task_id=context.task_id,
        context_id=context.context_id,
        prompt=prompt,
        workspace=str(options.get("workspace", "")),
        mode=mode,
        model=model if isinstance(model, str) else None,
        metadata={k: v for k, v in options.items() if isinstance(k, str)},
    )


class QueueExecutor:
    """Relays a queued task's worker reports to its A2A task (see the module docstring)."""

    def __init__(self, queue: WorkQueue) -> None:
        self.queue = queue

    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        item = work_item(context)
        await updater.status(TaskState.SUBMITTED, "queued for a worker")
        inbox = self.queue.submit(item, context.principal.id if context.principal else "")
        output_id: str | None = None
        try:
            while True:
                update = await inbox.get()
                try:
                    if update.kind == "output":
                        output_id = await updater.artifact(
                            update.text,
                            name="output",
                            artifact_id=output_id,
                            append=output_id is not None,
                            last_chunk=False,
                        )
                    elif update.kind in ("status", "requeued"):
                        await updater.working(update.text or None)
                    elif update.kind == "release":
                        if update.result:
                            await updater.artifact(update.result, name="answer")
                        if update.outcome == "completed":
                            await updater.complete(update.text or "done")
                        elif update.outcome == "input-required":
                            await updater.input_required(update.text or "the worker needs input")
                        else:
                            await updater.fail(update.text or "the worker reported a failure")
                        return
                finally:
                    if update.applied is not None and not update.applied.done():
                        update.applied.set_result(None)
        finally:
            self.queue.withdraw(context.task_id)
