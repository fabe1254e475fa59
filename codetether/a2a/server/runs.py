"""A task's in-process state while work on it is in flight, and the copies of a task handed out.

The handler keeps one :class:`Run` per task that has an executor job or open streams in this
process; everything else about a task lives in the task store.
"""

import asyncio

import msgspec

from ..domain.types import Message, PushConfig, Task
from .streams import END


class Run:
    """A task that has work in flight (or streams open on it) in this process."""

    __slots__ = ("done", "job", "owner", "pending", "push", "reply", "subscribers", "task", "tenant")

    def __init__(self, task: Task, owner: str = "", tenant: str = "") -> None:
        self.task = task
        self.owner = owner  # the principal that created the task: only it (and the admin) may see it
        self.tenant = tenant
        self.job: asyncio.Task | None = None
        # queue -> whether it follows the task past interrupted states (a SubscribeToTask stream)
        self.subscribers: dict[asyncio.Queue, bool] = {}
        self.done = asyncio.Event()  # set at a terminal or interrupted state, or at a message-only reply
        self.pending = False  # a new task not yet saved: its executor may still reply with a message only
        self.push: tuple[PushConfig, str] | None = None  # the request's push config, stored at commit
        self.reply: Message | None = None

    def finish(self, *, terminal: bool) -> None:
        """Wake the blocking sender and end the streams that stop here: all of them at a terminal state,
        all but SubscribeToTask's at an interrupted one (see the handler's docstring). Each ends once."""
        self.done.set()
        for queue, follows in list(self.subscribers.items()):
            if terminal or not follows:
                del self.subscribers[queue]
                queue.put_nowait(END)


def view(task: Task, history_length: int | None = None, *, artifacts: bool = True) -> Task:
    """A copy of ``task`` safe to hand out while work goes on, with history trimmed (spec §3.2.4)."""
    history = task.history
    if history_length is not None:
        history = history[-history_length:] if history_length > 0 else []
    return msgspec.structs.replace(task, history=list(history), artifacts=list(task.artifacts) if artifacts else [])
