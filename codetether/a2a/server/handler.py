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
from typing import Any

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
    DeletePushConfigRequest,
    GetExtendedAgentCardRequest,
    GetPushConfigRequest,
    GetTaskRequest,
    ListPushConfigsRequest,
    ListPushConfigsResponse,
    ListTasksRequest,
    ListTasksResponse,
    Message,
    Part,
    PushConfig,
    Role,
    SendMessageRequest,
    SendMessageResponse,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskState,
    TaskStatus,
)
from .push import PushNotifier
from .replicas import ReplicaHub
from .streams import END, EventStream

log = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 10.0


class _Run:
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


def view(task: Task, history_length: int | None = None, *, artifacts: bool = True) -> Task:
    """A copy of ``task`` safe to hand out while work goes on, with history trimmed (spec §3.2.4)."""
    history = task.history
    if history_length is not None:
        history = history[-history_length:] if history_length > 0 else []
    return msgspec.structs.replace(task, history=list(history), artifacts=list(task.artifacts) if artifacts else [])


class RequestHandler:
    """One instance per server; every method is an A2A operation (names follow spec 1.0)."""

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
        self._runs: dict[str, _Run] = {}

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
            self._finish(run, terminal=True)
        if self.push is not None:
            await self.push.close()
        closer = getattr(self.executor, "aclose", None)  # optional: executors holding connections
        if closer is not None:
            await closer()

    # -- messages --------------------------------------------------------------------------------

    def bound(self, call: CallContext) -> "BoundHandler":
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
    ) -> tuple[_Run, RequestContext]:
        """Check the request, then create or continue its task. The only await (the webhook's DNS
        check) comes first: from the task checks to the caller's ``_launch`` nothing yields, so two
        messages can never both start work on one task."""
        message = request.message
        if not message.parts:
            raise errors.InvalidParamsError("message.parts: at least one part is required")
        for index, part in enumerate(message.parts):
            _check_part(part, f"message.parts[{index}]")
        if message.role is not Role.USER:
            raise errors.InvalidParamsError("message.role: a client message must have role ROLE_USER")
        _check_history_length(request.configuration.history_length if request.configuration else None)
        for where, value in _free_form(request):
            _check_free_form(value, where)
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
            run = running or _Run(task, owner, tenant)
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
            run = _Run(task, call.principal.id, request.tenant)
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

    def _commit(self, run: _Run) -> None:
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

    def _launch(self, run: _Run, context: RequestContext) -> None:
        updater = TaskUpdater(
            context.task_id, context.context_id, lambda event: self._apply(run, event), may_reply=run.pending
        )
        run.job = asyncio.create_task(self._execute(run, context, updater), name=f"a2a-task-{context.task_id}")

    async def _execute(self, run: _Run, context: RequestContext, updater: TaskUpdater) -> None:
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
            self._finish(run, terminal=not run.task.status.state.interrupted)
            if self.replicas is not None:
                try:
                    self.replicas.release_run(context.task_id)
                except Exception:  # the reaper skips a task that ended; a stale row costs nothing
                    log.exception("could not release task %s", context.task_id)
            if self._runs.get(context.task_id) is run and not run.subscribers:
                del self._runs[context.task_id]

    async def _apply(self, run: _Run, event: StreamResponse) -> None:
        task = run.task
        if event.message is not None:  # the executor's message-only reply: the pending task never existed
            run.reply = event.message
            for queue in run.subscribers:
                queue.put_nowait(event)
            self._finish(run, terminal=True)
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
            self._finish(run, terminal=terminal)

    @staticmethod
    def _finish(run: _Run, *, terminal: bool) -> None:
        """Wake the blocking sender and end the streams that stop here: all of them at a terminal state,
        all but SubscribeToTask's at an interrupted one (see the module docstring). Each ends once."""
        run.done.set()
        for queue, follows in list(run.subscribers.items()):
            if terminal or not follows:
                del run.subscribers[queue]
                queue.put_nowait(END)

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

    def _stream(self, run: _Run, first: StreamResponse | None, *, follows: bool = False) -> EventStream:
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
            # A shared store: whichever replica runs the task (now, or after its next message) announces
            # its events, this one among them; follow them from there.
            queue, close = self.replicas.follow(task.id, END)
            fresh = self.store.get(task.id) or task  # read after following: nothing falls in between
            if fresh.status.state.terminal:
                queue.put_nowait(END)
            return EventStream(StreamResponse(task=view(fresh)), queue, close)
        if run is None:
            if not task.status.state.interrupted:
                # Not running here, and no other server shares the store: nothing will change it.
                return EventStream(StreamResponse(task=view(task)), asyncio.Queue(), lambda: None, done=True)
            # Waiting for input: the follow-up message (or a cancel) continues this run, and the stream with it.
            run = self._runs[task.id] = _Run(task, owner, tenant)
        return self._stream(run, StreamResponse(task=view(run.task)), follows=True)

    # -- tasks -----------------------------------------------------------------------------------

    def _owned(self, task_id: str, call: CallContext, tenant: str) -> tuple[Task, str, str]:
        """The task with its owner and tenant, if ``call``'s principal may see it in ``tenant``. Another
        principal's task is "not found", exactly like a missing one: its existence is not disclosed."""
        run = self._runs.get(task_id)
        if run is not None and not run.pending:
            task, owner, task_tenant = run.task, run.owner, run.tenant
        else:
            task = self.store.get(task_id) if task_id else None
            owner, task_tenant = (self.store.ownership(task_id) or ("", "")) if task is not None else ("", "")
        if task is None or not call.principal.owns(owner) or task_tenant != tenant:
            raise errors.TaskNotFoundError(f"task {task_id!r} not found", metadata={"taskId": task_id})
        return task, owner, task_tenant

    def _load(self, task_id: str, call: CallContext, tenant: str = "") -> Task:
        return self._owned(task_id, call, tenant)[0]

    async def on_get_task(self, request: GetTaskRequest, *, call: CallContext = LOCAL_CALL) -> Task:
        _check_history_length(request.history_length)
        return view(self._load(request.id, call, request.tenant), request.history_length)

    async def on_list_tasks(self, request: ListTasksRequest, *, call: CallContext = LOCAL_CALL) -> ListTasksResponse:
        _check_history_length(request.history_length)
        page_size = 50 if request.page_size is None else request.page_size
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise errors.InvalidParamsError(f"pageSize must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        after = _parse_timestamp(request.status_timestamp_after) if request.status_timestamp_after else None
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
            try:
                forwarded = await self.replicas.remote_cancel(task.id, CANCEL_GRACE_SECONDS + 5)
            except TimeoutError:
                raise errors.TaskNotCancelableError(
                    f"task {task.id} did not stop on the server running it", metadata={"taskId": task.id}
                ) from None
            if forwarded:
                task = self.store.get(task.id) or task  # the replica running it canceled it
                if task.status.state.terminal:
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
        run = run or _Run(task, owner, tenant)
        updater = TaskUpdater(task.id, task.context_id, lambda event: self._apply(run, event))
        await updater.status(TaskState.CANCELED, "canceled at the client's request")
        await self.store.committed()
        return view(run.task)

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
        run = _Run(task, owner, tenant)
        updater = TaskUpdater(task.id, task.context_id, lambda event: self._apply(run, event))
        await updater.fail("the server running this task stopped")
        await self.store.committed()

    # -- push notifications ----------------------------------------------------------------------

    def _require_push(self) -> PushNotifier:
        if self.push is None:
            raise errors.PushNotificationNotSupportedError("push notifications are turned off on this server")
        return self.push

    def _store_push(self, config: PushConfig, version: str) -> PushConfig:
        config = msgspec.structs.replace(config, id=config.id or str(uuid.uuid4()))
        self.store.put_push_config(config, version)
        return config

    async def on_create_push_config(
        self, config: PushConfig, version: str = "1.0", *, call: CallContext = LOCAL_CALL
    ) -> PushConfig:
        push = self._require_push()
        self._load(config.task_id, call, config.tenant)
        if not config.url:
            raise errors.InvalidParamsError("url: a push notification config needs the webhook URL")
        await push.check_url(config.url)
        return self._store_push(config, version)

    async def on_get_push_config(self, request: GetPushConfigRequest, *, call: CallContext = LOCAL_CALL) -> PushConfig:
        self._require_push()
        self._load(request.task_id, call, request.tenant)
        config = self.store.get_push_config(request.task_id, request.id)
        if config is None:
            raise errors.TaskNotFoundError(
                f"task {request.task_id} has no push notification config {request.id!r}",
                metadata={"taskId": request.task_id, "configId": request.id},
            )
        return config

    async def on_list_push_configs(
        self, request: ListPushConfigsRequest, *, call: CallContext = LOCAL_CALL
    ) -> ListPushConfigsResponse:
        self._require_push()
        self._load(request.task_id, call, request.tenant)
        return ListPushConfigsResponse(configs=self.store.list_push_configs(request.task_id))

    async def on_delete_push_config(self, request: DeletePushConfigRequest, *, call: CallContext = LOCAL_CALL) -> None:
        """Idempotent (spec 1.0 §3.1.10): deleting a config the task no longer has succeeds, so a client
        retrying a delete whose reply it lost is not told the delete failed. An unknown task still fails."""
        self._require_push()
        self._load(request.task_id, call, request.tenant)
        self.store.delete_push_config(request.task_id, request.id)

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


class BoundHandler:
    """A :class:`RequestHandler` bound to one call's context: the adapters decode a request, bind the
    caller once and call the operation, so no operation can be reached without saying who asked."""

    __slots__ = ("call", "handler")

    def __init__(self, handler: RequestHandler, call: CallContext) -> None:
        self.handler = handler
        self.call = call

    async def on_send_message(self, request: SendMessageRequest, version: str = "1.0") -> SendMessageResponse:
        return await self.handler.on_send_message(request, version, call=self.call)

    async def on_send_streaming_message(
        self, request: SendMessageRequest, version: str = "1.0"
    ) -> AsyncIterator[StreamResponse]:
        return await self.handler.on_send_streaming_message(request, version, call=self.call)

    async def on_subscribe_to_task(self, request: SubscribeToTaskRequest) -> AsyncIterator[StreamResponse]:
        return await self.handler.on_subscribe_to_task(request, call=self.call)

    async def on_get_task(self, request: GetTaskRequest) -> Task:
        return await self.handler.on_get_task(request, call=self.call)

    async def on_list_tasks(self, request: ListTasksRequest) -> ListTasksResponse:
        return await self.handler.on_list_tasks(request, call=self.call)

    async def on_cancel_task(self, request: CancelTaskRequest) -> Task:
        return await self.handler.on_cancel_task(request, call=self.call)

    async def on_create_push_config(self, config: PushConfig, version: str = "1.0") -> PushConfig:
        return await self.handler.on_create_push_config(config, version, call=self.call)

    async def on_get_push_config(self, request: GetPushConfigRequest) -> PushConfig:
        return await self.handler.on_get_push_config(request, call=self.call)

    async def on_list_push_configs(self, request: ListPushConfigsRequest) -> ListPushConfigsResponse:
        return await self.handler.on_list_push_configs(request, call=self.call)

    async def on_delete_push_config(self, request: DeletePushConfigRequest) -> None:
        await self.handler.on_delete_push_config(request, call=self.call)

    async def on_get_extended_agent_card(self, request: GetExtendedAgentCardRequest | None = None) -> AgentCard:
        return await self.handler.on_get_extended_agent_card(request, call=self.call)


async def _no_emit(event: StreamResponse) -> None:
    return None


_MAX_JSON_NUMBER = 1.7976931348623157e308  # protobuf's Value holds a double: anything larger cannot travel


# How deep a client's free-form JSON (metadata, data parts) may nest. gRPC carries it as nested
# Struct/Value messages, whose decoder stops at 100 message levels (about 31 JSON objects deep): a
# deeper value would make the task unreadable over gRPC, so every binding refuses it up front.
MAX_FREE_FORM_DEPTH = 24


def _free_form(request: SendMessageRequest) -> list[tuple[str, Any]]:
    """The request's free-form JSON values (metadata, data parts) with where each sits: the only places
    an unchecked number or an unbounded nesting can be."""
    message = request.message
    values = [("request.metadata", request.metadata), ("request.message.metadata", message.metadata)]
    for index, part in enumerate(message.parts):
        values += [(f"request.message.parts[{index}].data", part.data)]
        values += [(f"request.message.parts[{index}].metadata", part.metadata)]
    return values


def _check_free_form(value: Any, where: str, depth: int = 0) -> None:
    """Refuse numbers no binding can carry and nesting past ``MAX_FREE_FORM_DEPTH`` (so one task cannot
    break gRPC reads of it later)."""
    if isinstance(value, dict | list) and depth >= MAX_FREE_FORM_DEPTH:
        raise errors.InvalidParamsError(f"{where}: nests deeper than {MAX_FREE_FORM_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_free_form(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_free_form(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, int | float) and not isinstance(value, bool) and not abs(value) <= _MAX_JSON_NUMBER:
        raise errors.InvalidParamsError(f"{where}: the number {value!r} is out of range")


def _check_part(part: Part, where: str) -> None:
    """Spec 1.0 §4.1.6: a part's content is a oneof, so exactly one of text, raw, url and data is set."""
    fields = part.content_fields()
    if not fields:
        raise errors.InvalidParamsError(f"{where}: a part needs one of text, raw, url or data")
    if len(fields) > 1:
        raise errors.InvalidParamsError(f"{where}: a part holds one content field, got {' and '.join(fields)}")


def _check_history_length(value: int | None) -> None:
    if value is not None and value < 0:
        raise errors.InvalidParamsError(f"historyLength must be 0 or more, got {value}")


def _parse_timestamp(value: Any) -> float:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise errors.InvalidParamsError(f"statusTimestampAfter {value!r} is not an ISO 8601 timestamp") from exc
