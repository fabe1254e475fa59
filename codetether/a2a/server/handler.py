"""The transport-neutral A2A request handler: every JSON-RPC, REST and gRPC call lands here.

It owns the task lifecycle: a message creates or continues a task, the executor runs it in its own
asyncio task, and each update the executor reports is applied to the task, written to the store,
fanned out to stream subscribers, posted to push webhooks and published on the agent bus, in that
order. Adapters only translate requests and results; they never touch tasks themselves.

A new task the executor may still answer with a message only (spec 1.0 §3.1.1) is *pending*: it is
saved, published and given its push config at its first update, so a reply leaves no task anywhere.

Streams: a SendStreamingMessage stream closes at a terminal or an interrupted state (§11.7: "until
the task reaches a terminal or interrupted state, at which point the stream closes"), since that
client answers with a new message and a new stream. A SubscribeToTask stream follows its task to a
terminal state (§3.1.6: "The stream MUST terminate when the task reaches a terminal state"; the
a2a-sdk server does the same), across the follow-up that answers an ``input-required`` question, so
a watcher sees the task finish.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable

import msgspec

from ...bus import AgentBus
from ...bus.messages import ArtifactUpdate, TaskUpdate
from ...secrets.redaction import redact
from ..domain import errors
from ..domain.context import LOCAL_CALL, CallContext
from ..domain.executor import Executor, RequestContext, TaskUpdater, now_iso
from ..domain.store import MAX_PAGE_SIZE, TaskStore
from ..domain.types import (
    AgentCard,
    CancelTaskRequest,
    GetExtendedAgentCardRequest,
    GetTaskRequest,
    ListTasksRequest,
    ListTasksResponse,
    Message,
    SendMessageRequest,
    SendMessageResponse,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskState,
    TaskStatus,
)
from .bound import BoundHandler
from .checks import check_history_length, check_send, parse_timestamp
from .push import PushNotifier
from .push_configs import PushConfigMethods
from .replica_methods import CANCEL_GRACE_SECONDS, ReplicaMethods
from .replicas import ReplicaHub
from .runs import Run, view
from .scoping import owned_task
from .streams import EventStream

log = logging.getLogger(__name__)


class RequestHandler(PushConfigMethods, ReplicaMethods):
    """One instance per server; every method is an A2A operation (names follow spec 1.0). The push
    config operations and the replica calls are in their mixins (:mod:`.push_configs`, :mod:`.replica_methods`)."""

    def __init__(
        self,
        executor: Executor,
        store: TaskStore,
        *,
        card: AgentCard | None = None,
        extended_card: AgentCard | Callable[[], AgentCard] | None = None,
        push: PushNotifier | None = None,
        bus: AgentBus | None = None,
        agent_id: str = "a2a",
        replicas: ReplicaHub | None = None,
    ) -> None:
        """``replicas``: the other servers sharing ``store`` (None: this server is its only user)."""
        self.executor = executor
        self.store = store
        self.replicas = replicas
        self.card = card
        self.extended_card = extended_card
        self.push = push
        self.bus = bus
        self.agent_id = agent_id
        self._runs: dict[str, Run] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def recover(self) -> int:
        """Fail tasks a previous process left running: their work died with it. Returns how many.
        With replicas, tasks in flight may be another live replica's: the hub fails only dead ones'."""
        if self.replicas is not None:
            return 0
        count = 0
        for state in (TaskState.SUBMITTED, TaskState.WORKING):
            while True:
                page = self.store.list_tasks(state=state, page_size=MAX_PAGE_SIZE, tenant=None)
                for task in page.tasks:
                    task.status = TaskStatus(
                        state=TaskState.FAILED,
                        message=self._agent_message(task, "the server restarted while this task was running"),
                        timestamp=now_iso(),
                    )
                    self.store.save(task)
                    count += 1
                if not page.next_page_token:
                    break
        return count

    async def close(self) -> None:
        """Cancel work in flight (each task ends ``canceled``) and stop push deliveries."""
        jobs = [run.job for run in self._runs.values() if run.job and not run.job.done()]
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=CANCEL_GRACE_SECONDS)
        for run in list(self._runs.values()):  # SubscribeToTask streams on waiting tasks end with the server
            run.finish(terminal=True)
        if self.push is not None:
            await self.push.close()
        closer = getattr(self.executor, "aclose", None)  # optional: executors holding connections
        if closer is not None:
            await closer()

    # -- messages --------------------------------------------------------------------------------

    def bound(self, call: CallContext) -> BoundHandler:
        """This handler as one caller sees it: what an adapter calls for one request."""
        return BoundHandler(self, call)

    async def on_send_message(
        self, request: SendMessageRequest, version: str = "1.0", *, call: CallContext = LOCAL_CALL
    ) -> SendMessageResponse:
        run, context = await self._begin(request, version, call, streaming=False)
        self._launch(run, context)
        config = request.configuration
        history_length = config.history_length if config else None
        if not (config and config.return_immediately):
            await run.done.wait()
        if run.reply is not None:
            return SendMessageResponse(message=run.reply)
        reply = SendMessageResponse(task=view(run.task, history_length))
        await self.store.committed()
        return reply

    async def on_send_streaming_message(
        self, request: SendMessageRequest, version: str = "1.0", *, call: CallContext = LOCAL_CALL
    ) -> AsyncIterator[StreamResponse]:
        """Validates and starts the work now (errors raise here), then returns the event stream."""
        if self.card is not None and self.card.capabilities.streaming is False:
            raise errors.UnsupportedOperationError("this agent does not stream")
        run, context = await self._begin(request, version, call, streaming=True)
        # A pending task's stream starts at its first update (with the task) or with the executor's reply.
        stream = self._stream(run, None if run.pending else StreamResponse(task=view(run.task)))
        self._launch(run, context)
        await self.store.committed()
        return stream

    async def _begin(
        self, request: SendMessageRequest, version: str, call: CallContext, *, streaming: bool
    ) -> tuple[Run, RequestContext]:
        """Check the request, then create or continue its task. The only await (the webhook's DNS
        check) comes first: from the task checks to the caller's ``_launch`` nothing yields, so two
        messages can never both start work on one task."""
        check_send(request)
        message = request.message
        push_config = request.configuration.task_push_notification_config if request.configuration else None
        if push_config is not None:  # refuse a bad webhook before any task is created or changed
            await self._require_push().check_url(push_config.url)
        if message.task_id:
            task, owner, tenant = self._owned(message.task_id, call, request.tenant)
            if message.context_id and message.context_id != task.context_id:
                raise errors.InvalidParamsError(
                    f"message.contextId {message.context_id!r} does not match task {task.id}'s "
                    f"contextId {task.context_id!r}"
                )
            if task.status.state.terminal:
                raise errors.UnsupportedOperationError(
                    f"task {task.id} is {task.status.state.value} and takes no more messages; "
                    "send the message without taskId to start a new task in the same context"
                )
            running = self._runs.get(task.id)
            if running is not None and running.job is not None and not running.job.done():
                raise errors.UnsupportedOperationError(
                    f"task {task.id} is still working; subscribe to it, wait, or cancel it first"
                )
            run = running or Run(task, owner, tenant)
            run.task = task
            run.done.clear()
            if task.status.message is not None:  # the agent's question precedes the answer in history
                task.history.append(task.status.message)
                task.status = msgspec.structs.replace(task.status, message=None)
        else:
            task = Task(
                id=str(uuid.uuid4()),
                context_id=message.context_id or str(uuid.uuid4()),
                status=TaskStatus(state=TaskState.SUBMITTED),
            )
            run = Run(task, call.principal.id, request.tenant)
            # The client did not ask for the task at once nor gave it a webhook: the executor may answer
            # with a message only (return_immediately means nothing to a stream, §3.2.2).
            config = request.configuration
            run.pending = push_config is None and (streaming or not (config and config.return_immediately))
        message = msgspec.structs.replace(message, task_id=task.id, context_id=task.context_id)
        task.history.append(message)
        self._runs[task.id] = run
        if push_config is not None:
            run.push = (msgspec.structs.replace(push_config, task_id=task.id), version)
        if not run.pending:
            self._commit(run)
        context = RequestContext(
            task_id=task.id,
            context_id=task.context_id,
            message=message,
            task=view(task),
            metadata=request.metadata,
            configuration=request.configuration,
            streaming=streaming,
            principal=call.principal,
            owner=run.owner,
        )
        return run, context

    def _commit(self, run: Run) -> None:
        """Make the task exist: save it, store its push config, tell the bus (from its first message)."""
        run.pending = False
        task = run.task
        if self.replicas is not None:  # before the save: a saved task in flight always names its replica
            self.replicas.claim_run(task.id)
        self.store.save(task, run.owner, run.tenant)
        if run.push is not None:
            self._store_push(*run.push)
            run.push = None
        if self.bus is not None:
            try:
                self.bus.publish(
                    f"task.{task.id}",
                    TaskUpdate(task_id=task.id, state=task.status.state.value, message=task.history[-1].text()),
                    sender=self.agent_id,
                    correlation_id=task.context_id,
                )
            except Exception:
                log.exception("could not publish task %s on the bus", task.id)

    def _launch(self, run: Run, context: RequestContext) -> None:
        updater = TaskUpdater(
            context.task_id, context.context_id, lambda event: self._apply(run, event), may_reply=run.pending
        )
        run.job = asyncio.create_task(self._execute(run, context, updater), name=f"a2a-task-{context.task_id}")

    async def _execute(self, run: Run, context: RequestContext, updater: TaskUpdater) -> None:
        try:
            await self.executor.execute(context, updater)
            if not updater.ended:
                await updater.complete()
        except asyncio.CancelledError:
            if not updater.ended:
                await updater.status(TaskState.CANCELED, "canceled at the client's request")
        except Exception as exc:
            log.warning("executor failed on task %s: %s", context.task_id, exc, exc_info=True)
            if not updater.ended:
                # Not a CodetetherError (those redact themselves): its text may echo a key, mask it.
                await updater.fail(redact(f"{type(exc).__name__}: {exc}"))
        finally:
            # Even if the final update itself could not be applied; a task waiting for input keeps its watchers.
            run.finish(terminal=not run.task.status.state.interrupted)
            self._release(context.task_id)
            if self._runs.get(context.task_id) is run and not run.subscribers:
                del self._runs[context.task_id]

    async def _apply(self, run: Run, event: StreamResponse) -> None:
        task = run.task
        if event.message is not None:  # the executor's message-only reply: the pending task never existed
            run.reply = event.message
            for queue in run.subscribers:
                queue.put_nowait(event)
            run.finish(terminal=True)
            return
        if run.pending:
            self._commit(run)
            for queue in run.subscribers:  # a stream begins with the task (§3.1.2)
                queue.put_nowait(StreamResponse(task=view(task)))
        final = terminal = False
        if event.status_update is not None:
            status = event.status_update.status
            if task.status.message is not None:
                task.history.append(task.status.message)  # the previous status message becomes history
            task.status = status
            terminal = status.state.terminal
            final = terminal or status.state.interrupted
            self.store.save(task, run.owner, run.tenant)
        elif event.artifact_update is not None:
            # Not saved on its own: every task ends with a status update, which saves the artifacts too.
            # With a shared store it is: other replicas read the stored task, and a worker's output that
            # another replica relayed is acknowledged only once committed (a kill -9 must not lose it).
            task.merge_artifact(event.artifact_update.artifact, event.artifact_update.append)
            if self.replicas is not None:
                self.store.save(task, run.owner, run.tenant)
        for queue in run.subscribers:
            queue.put_nowait(event)
        try:  # observers must never keep the task from finishing
            if self.replicas is not None:
                self.replicas.announce(task, event)
            if self.push is not None:
                self.push.notify(task, event)
            if self.bus is not None:
                self._publish(task, event)
        except Exception:
            log.exception("could not notify observers of task %s", task.id)
        if final:
            run.finish(terminal=terminal)

    def _publish(self, task: Task, event: StreamResponse) -> None:
        topic = f"task.{task.id}"
        if event.status_update is not None:
            message = event.status_update.status.message
            update = TaskUpdate(
                task_id=task.id, state=task.status.state.value, message=message.text() if message else ""
            )
            self.bus.publish(topic, update, sender=self.agent_id, correlation_id=task.context_id)
        elif event.artifact_update is not None:
            artifact = event.artifact_update.artifact
            content = "\n".join(part.text for part in artifact.parts if part.text)
            self.bus.publish(
                topic,
                ArtifactUpdate(task_id=task.id, name=artifact.name or artifact.artifact_id, content=content),
                sender=self.agent_id,
                correlation_id=task.context_id,
            )

    # -- streams ---------------------------------------------------------------------------------

    def _stream(self, run: Run, first: StreamResponse | None, *, follows: bool = False) -> EventStream:
        queue: asyncio.Queue = asyncio.Queue()
        run.subscribers[queue] = follows

        def unsubscribe() -> None:
            run.subscribers.pop(queue, None)
            if not run.subscribers and (run.job is None or run.job.done()) and self._runs.get(run.task.id) is run:
                del self._runs[run.task.id]

        return EventStream(first, queue, unsubscribe, done=run.done.is_set() and not follows)

    async def on_subscribe_to_task(
        self, request: SubscribeToTaskRequest, *, call: CallContext = LOCAL_CALL
    ) -> AsyncIterator[StreamResponse]:
        task, owner, tenant = self._owned(request.id, call, request.tenant)
        if task.status.state.terminal:
            raise errors.UnsupportedOperationError(
                f"task {task.id} is in terminal state {task.status.state.value}; read it with GetTask",
                metadata={"taskId": task.id},
            )
        run = self._runs.get(task.id)
        if run is None and self.replicas is not None:
            return self._follow_elsewhere(task)
        if run is None:
            if not task.status.state.interrupted:
                # Not running here, and no other server shares the store: nothing will change it.
                return EventStream(StreamResponse(task=view(task)), asyncio.Queue(), lambda: None, done=True)
            # Waiting for input: the follow-up message (or a cancel) continues this run, and the stream with it.
            run = self._runs[task.id] = Run(task, owner, tenant)
        return self._stream(run, StreamResponse(task=view(run.task)), follows=True)

    # -- tasks -----------------------------------------------------------------------------------

    def _owned(self, task_id: str, call: CallContext, tenant: str) -> tuple[Task, str, str]:
        return owned_task(self._runs, self.store, task_id, call, tenant)

    def _load(self, task_id: str, call: CallContext, tenant: str = "") -> Task:
        return self._owned(task_id, call, tenant)[0]

    async def on_get_task(self, request: GetTaskRequest, *, call: CallContext = LOCAL_CALL) -> Task:
        check_history_length(request.history_length)
        return view(self._load(request.id, call, request.tenant), request.history_length)

    async def on_list_tasks(self, request: ListTasksRequest, *, call: CallContext = LOCAL_CALL) -> ListTasksResponse:
        check_history_length(request.history_length)
        page_size = 50 if request.page_size is None else request.page_size
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise errors.InvalidParamsError(f"pageSize must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        after = parse_timestamp(request.status_timestamp_after) if request.status_timestamp_after else None
        page = self.store.list_tasks(
            context_id=request.context_id,
            state=request.status,
            page_size=page_size,
            page_token=request.page_token,
            updated_after=after,
            owner=None if call.principal.admin else call.principal.id,
            tenant=request.tenant,
        )
        tasks = [view(task, request.history_length, artifacts=bool(request.include_artifacts)) for task in page.tasks]
        return ListTasksResponse(
            tasks=tasks, next_page_token=page.next_page_token, page_size=page_size, total_size=page.total_size
        )

    async def on_cancel_task(self, request: CancelTaskRequest, *, call: CallContext = LOCAL_CALL) -> Task:
        task, owner, tenant = self._owned(request.id, call, request.tenant)
        if task.status.state.terminal:
            raise errors.TaskNotCancelableError(
                f"task {task.id} is already {task.status.state.value}", metadata={"taskId": task.id}
            )
        run = self._runs.get(task.id)
        remote = self.replicas is not None and run is None and not task.status.state.interrupted
        if remote:
            task = await self._cancel_elsewhere(task)
            if task.status.state.terminal:  # the replica running it canceled it
                return view(task)
        if run is not None and run.job is not None and not run.job.done():
            run.job.cancel()
            await asyncio.wait([run.job], timeout=CANCEL_GRACE_SECONDS)
            if not run.job.done():
                raise errors.TaskNotCancelableError(
                    f"task {task.id} did not stop within {CANCEL_GRACE_SECONDS:.0f} s", metadata={"taskId": task.id}
                )
            if run.task.status.state.terminal:
                await self.store.committed()
                return view(run.task)
            task = run.task  # it had already asked for input when the cancel arrived: cancel it below
        run = run or Run(task, owner, tenant)
        updater = TaskUpdater(task.id, task.context_id, lambda event: self._apply(run, event))
        await updater.status(TaskState.CANCELED, "canceled at the client's request")
        await self.store.committed()
        return view(run.task)

    # -- cards -----------------------------------------------------------------------------------

    async def on_get_extended_agent_card(
        self, request: GetExtendedAgentCardRequest | None = None, *, call: CallContext = LOCAL_CALL
    ) -> AgentCard:
        if self.extended_card is None:
            raise errors.ExtendedAgentCardNotConfiguredError("this agent has no extended agent card")
        if callable(self.extended_card):  # built on first use: it lists every tool, which costs imports
            self.extended_card = self.extended_card()
        return self.extended_card

    def _agent_message(self, task: Task, text: str) -> Message:
        return TaskUpdater(task.id, task.context_id, _no_emit).agent_message(text)


async def _no_emit(event: StreamResponse) -> None:
    return None
