"""A stream of A2A events folded into what they describe: the task as it stands, or a direct reply.

A stream starts with the task (or is one message only) and then sends status and artifact updates;
a caller that shows progress renders each event as it comes and reads the outcome from the fold, so
the rule for applying an update lives here once, next to the client that produces the stream.
"""

import msgspec

from ..domain.types import Message, StreamResponse, Task, TaskState, TaskStatus


class StreamFold:
    """Apply events with :meth:`add`; read ``task`` (or ``reply``) and ``answered``."""

    def __init__(self) -> None:
        self.task = Task(id="", status=TaskStatus(state=TaskState.UNSPECIFIED))
        self.reply: Message | None = None  # the agent answered with a message only: there is no task
        self.answered = False  # some artifact update carried text

    def add(self, event: StreamResponse) -> None:
        if event.message is not None:
            self.reply = event.message
        elif event.task is not None:
            self.task = event.task
        elif event.status_update is not None:
            update = event.status_update
            self.task = msgspec.structs.replace(
                self.task, id=update.task_id, context_id=update.context_id or self.task.context_id, status=update.status
            )
        elif event.artifact_update is not None:
            update = event.artifact_update
            self.task = msgspec.structs.replace(self.task, artifacts=list(self.task.artifacts))
            self.task.merge_artifact(update.artifact, update.append)
            self.answered = self.answered or any(part.text for part in update.artifact.parts)
