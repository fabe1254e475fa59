"""Test executors for the A2A server tests, chosen by the first word of the message text.

``ScriptedExecutor`` is what the test servers run (``codetether serve --executor
tests.a2a.executors:ScriptedExecutor`` in subprocess tests). Each behaviour is also its own small
class so a test can read exactly what one does:

- ``slow``: reports ``working``, then waits until the test calls :meth:`SlowExecutor.release` (or
  forever); cancelling it runs its cancellation handler, which records the task id and, when the
  ``A2A_TEST_MARKER_DIR`` environment variable names a directory, writes ``<task id>.canceled`` there
  (so a test can observe it across processes);
- ``ask``: ends ``input-required``; the follow-up message on the same task completes it with an
  artifact quoting the follow-up;
- ``fail``: raises, so the task fails with the exception's text;
- ``chunks``: two ``working`` updates around one artifact streamed in three appended chunks;
- ``reply``: answers with a message only (``reply: <text>``) where the handler allows it, else
  completes a task with the artifact ``task: <text>``;
- anything else is echoed back as an artifact and the completing status message.
"""

import asyncio
import os
from collections import defaultdict
from pathlib import Path

from codetether.a2a.domain.executor import RequestContext, TaskUpdater
from codetether.a2a.domain.types import TaskState

MARKER_DIR_ENV = "A2A_TEST_MARKER_DIR"
CHUNKS = ("chunk-1 ", "chunk-2 ", "chunk-3")


class EchoExecutor:
    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        await updater.artifact(f"echo: {context.text}", name="echo")
        await updater.complete(f"echo: {context.text}")


class SlowExecutor:
    """Long-running and cancelable; the test decides when (if ever) it finishes."""

    def __init__(self) -> None:
        self.started: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.gates: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.canceled: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        await updater.working("slow started")
        self.started[context.task_id].set()
        try:
            await self.gates[context.task_id].wait()
        except asyncio.CancelledError:
            self.canceled[context.task_id].set()
            marker_dir = os.environ.get(MARKER_DIR_ENV)
            if marker_dir:
                (Path(marker_dir) / f"{context.task_id}.canceled").write_text("canceled\n")
            raise
        await updater.artifact("slow done", name="slow")
        await updater.complete("slow done")

    def release(self, task_id: str) -> None:
        self.gates[task_id].set()

    async def wait_started(self, task_id: str, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self.started[task_id].wait(), timeout)

    async def wait_canceled(self, task_id: str, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self.canceled[task_id].wait(), timeout)


class AskExecutor:
    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        if context.task.status.state is TaskState.INPUT_REQUIRED:
            await updater.artifact(f"got: {context.text}", name="answer")
            await updater.complete("thanks")
        else:
            await updater.input_required("which file?")


class FailingExecutor:
    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        await updater.working("about to fail")
        raise RuntimeError("boom on purpose")


class ChunkExecutor:
    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        await updater.working("step 1")
        artifact_id = await updater.artifact(CHUNKS[0], name="chunks", last_chunk=False)
        await updater.artifact(CHUNKS[1], artifact_id=artifact_id, append=True, last_chunk=False)
        await updater.artifact(CHUNKS[2], artifact_id=artifact_id, append=True, last_chunk=True)
        await updater.working("step 2")
        await updater.complete("chunks done")


class ReplyExecutor:
    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        if updater.can_reply:
            await updater.reply(f"reply: {context.text}")
        else:
            await updater.artifact(f"task: {context.text}", name="reply")
            await updater.complete()


class ScriptedExecutor:
    """Dispatches on the first word of the text (a follow-up on an input-required task goes to ``ask``)."""

    def __init__(self) -> None:
        self.echo = EchoExecutor()
        self.slow = SlowExecutor()
        self.ask = AskExecutor()
        self.fail = FailingExecutor()
        self.chunks = ChunkExecutor()
        self.reply = ReplyExecutor()

    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        word = (context.text.split() or [""])[0]
        if context.task.status.state is TaskState.INPUT_REQUIRED:
            word = "ask"
        behaviours = {"slow": self.slow, "ask": self.ask, "fail": self.fail, "chunks": self.chunks, "reply": self.reply}
        behaviour = behaviours.get(word, self.echo)
        await behaviour.execute(context, updater)
