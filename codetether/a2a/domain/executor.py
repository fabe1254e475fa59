"""The executor API: what turns an incoming A2A message into work.

An executor is any object with ``async def execute(context, updater)``. The request handler calls it
once per message, in its own asyncio task, and:

- reads the request from ``context`` (:class:`RequestContext`: task and context ids, the message,
  the task so far with its history);
- reports progress through ``updater`` (:class:`TaskUpdater`): ``working``, ``artifact``, then one
  of ``complete``, ``fail``, ``reject``, ``input_required`` or ``auth_required``. Every call is
  persisted, streamed to subscribers, pushed to webhooks and published on the bus as it happens;
- or, instead of any of those, answers with a message only (spec 1.0 §3.1.1: "a direct response
  message (for simple interactions that don't require task tracking)"): ``updater.reply(text)``,
  allowed while ``updater.can_reply`` holds, i.e. the message starts a new task, the caller did not
  ask for the task at once (``returnImmediately``) and nothing was reported yet. The handler keeps
  a new task to itself until its first update, so a reply leaves no task behind: SendMessage
  answers with the ``Message``, SendStreamingMessage streams that one ``Message`` and closes;
- is *cancelled* (``asyncio.CancelledError`` raised at its current ``await``) when a client cancels
  the task: clean up and re-raise, and the task ends ``canceled``.

If ``execute`` returns without a final state the task completes; if it raises, the task fails with
the exception's message. An executor may also have ``async def aclose()``, called once when the
server stops (after running tasks were cancelled) to release connections.

``codetether serve --executor module:attr`` loads ``attr`` from ``module``: an executor object, or
a zero-argument factory returning one.
"""

import datetime as dt
import uuid
from typing import Any, Protocol

import msgspec

from ...security.principal import Principal
from .types import (
    Artifact,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    StreamResponse,
    Task,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)


class RequestContext(msgspec.Struct, kw_only=True):
    task_id: str
    context_id: str
    message: Message
    task: Task  # the task as it stands when this message starts work, history included
    metadata: dict[str, Any] | None = None
    configuration: SendMessageConfiguration | None = None  # as the client sent it
    streaming: bool = False  # the client called SendStreamingMessage
    principal: Principal | None = None  # who sent the message (None: an in-process caller)
    owner: str = ""  # the id of the principal whose task this is (the admin may act on another's task)

    @property
    def text(self) -> str:
        return self.message.text()


class Emitter(Protocol):
    async def __call__(self, event: StreamResponse) -> None: ...


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class TaskUpdater:
    """The executor's handle on its task: each call becomes one status or artifact update."""

    def __init__(self, task_id: str, context_id: str, emit: Emitter, *, may_reply: bool = False) -> None:
        self.task_id = task_id
        self.context_id = context_id
        self._emit = emit
        self._may_reply = may_reply
        self._reported = False  # a status or artifact update went out: the task exists for the client
        self.final_state: TaskState | None = None
        self.reply_message: Message | None = None  # set by reply(): the answer, with no task

    @property
    def ended(self) -> bool:
        """Nothing more may be reported: the task reached a final or interrupted state, or a reply answered."""
        return self.final_state is not None or self.reply_message is not None

    @property
    def can_reply(self) -> bool:
        """Whether :meth:`reply` may still answer this message without a task (see the module docstring)."""
        return self._may_reply and not self._reported and self.reply_message is None

    async def reply(self, content: str | list[Part]) -> Message:
        """Answer with one agent message and no task; nothing may be reported after it."""
        if not self.can_reply:
            why = "it already reported on" if self._reported else "the caller asked for"
            raise RuntimeError(f"cannot answer with a message only: {why} task {self.task_id}")
        parts = [Part(text=content)] if isinstance(content, str) else content
        self.reply_message = Message(
            message_id=uuid.uuid4().hex, role=Role.AGENT, parts=parts, context_id=self.context_id
        )
        await self._emit(StreamResponse(message=self.reply_message))
        return self.reply_message

    def _report(self) -> None:
        if self.reply_message is not None:
            raise RuntimeError(f"the message for task {self.task_id} was already answered with a message only")
        self._reported = True

    def agent_message(self, text: str) -> Message:
        return Message(
            message_id=uuid.uuid4().hex,
            role=Role.AGENT,
            parts=[Part(text=text)],
            context_id=self.context_id,
            task_id=self.task_id,
        )

    async def status(self, state: TaskState, text: str | None = None) -> None:
        if self.final_state is not None:
            raise RuntimeError(f"task {self.task_id} already ended as {self.final_state.value}")
        self._report()
        if state.terminal or state.interrupted:
            self.final_state = state
        message = self.agent_message(text) if text else None
        status = TaskStatus(state=state, message=message, timestamp=now_iso())
        await self._emit(
            StreamResponse(
                status_update=TaskStatusUpdateEvent(task_id=self.task_id, context_id=self.context_id, status=status)
            )
        )

    async def working(self, text: str | None = None) -> None:
        await self.status(TaskState.WORKING, text)

    async def artifact(
        self,
        content: str | list[Part],
        *,
        name: str = "",
        artifact_id: str | None = None,
        append: bool = False,
        last_chunk: bool = True,
    ) -> str:
        """Add (or, with ``append``, extend) an artifact; returns its id for later chunks."""
        self._report()
        parts = [Part(text=content)] if isinstance(content, str) else content
        artifact = Artifact(artifact_id=artifact_id or uuid.uuid4().hex, parts=parts, name=name)
        await self._emit(
            StreamResponse(
                artifact_update=TaskArtifactUpdateEvent(
                    task_id=self.task_id,
                    context_id=self.context_id,
                    artifact=artifact,
                    append=append,
                    last_chunk=last_chunk,
                )
            )
        )
        return artifact.artifact_id

    async def complete(self, text: str | None = None) -> None:
        await self.status(TaskState.COMPLETED, text)

    async def fail(self, text: str | None = None) -> None:
        await self.status(TaskState.FAILED, text)

    async def reject(self, text: str | None = None) -> None:
        await self.status(TaskState.REJECTED, text)

    async def input_required(self, text: str | None = None) -> None:
        await self.status(TaskState.INPUT_REQUIRED, text)

    async def auth_required(self, text: str | None = None) -> None:
        await self.status(TaskState.AUTH_REQUIRED, text)


class Executor(Protocol):
    """Turns one message into work on its task (see the module docstring for the contract)."""

    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None: ...


class EchoExecutor:
    """Answers with the message's own text: for trying the transports and for benchmarks."""

    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        await updater.artifact(context.text, name="echo")
        await updater.complete(context.text)


def load_executor(spec: str) -> Executor:
    """``module:attr`` → an executor (``attr`` may be an executor or a factory of one)."""
    import importlib

    from ...errors import UsageError

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"--executor {spec!r} is not module:attribute", "e.g. --executor mypkg.agents:MyExecutor")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"cannot load executor {spec}: {exc}", "check the module is importable from here") from exc
    if isinstance(target, type) or (callable(target) and not hasattr(target, "execute")):
        target = target()
    if not callable(getattr(target, "execute", None)):
        raise UsageError(f"executor {spec} has no execute(context, updater) method")
    return target
