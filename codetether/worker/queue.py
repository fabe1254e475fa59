"""The work queue's logic, shared by every transport: who may register, claim, report and release.

``serve --queue-only`` runs A2A tasks through :class:`~codetether.worker.queue_executor.QueueExecutor`,
which puts each on this queue and relays what the claiming worker reports to the A2A task (so A2A
clients watching it see the worker's progress). Workers register with the server's admin token and
get their own token (stored hashed); from then on they may act only as themselves: a worker's token
claims, reports on and releases only the tasks it holds. A claim lasts as long as its worker keeps
heartbeating: ``lease_seconds`` after the last heartbeat the task is claimable again.

With several replicas on one store (:class:`Peers` attached), a worker may use any of them: reports
on a task queued by another replica are forwarded to it (its executor holds the A2A task), and new
events and claims wake the task streams of every replica. Worker records whose heartbeats stopped
``forget_after`` seconds ago (and that hold nothing) are deleted; such a worker, if it comes back,
gets 401 and registers again.
"""

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from ..security.principal import Principal, token_hash
from . import errors
from .store import QueueStore, WorkerRecord
from .types import (
    ClaimRequest,
    ClaimResponse,
    Heartbeat,
    HeartbeatReply,
    OutputRequest,
    QueueEvent,
    RegisterRequest,
    RegisterResponse,
    ReleaseRequest,
    TaskClaimed,
    WorkItem,
)

log = logging.getLogger(__name__)

MAX_PENDING = 500
EVENT_BATCH = 200
KEEP_ADVISORIES = 4096  # claimed notices and hints kept for streams that lag behind


class Resync(msgspec.Struct):
    """The cursor a worker resumed from is older than the replay window: it must poll the pending list."""

    first: int
    last: int


@dataclass(frozen=True)
class QueueSettings:
    lease_seconds: float = 90.0
    heartbeat_seconds: float = 30.0
    replay_events: int = 1000
    keepalive_seconds: float = 15.0
    forget_after: float = 3600.0  # a worker silent this long (holding nothing) is unregistered


@dataclass
class Update:
    """What a worker reported on a task, handed to the task's executor; ``applied`` resolves once the A2A
    task carries it, so the worker's request returns only when watchers have seen it."""

    kind: str  # "output", "status", "release", "requeued"
    text: str = ""
    outcome: str = ""
    result: str = ""
    applied: asyncio.Future | None = field(default=None)


class Peers(Protocol):
    """The other replicas sharing this queue's store (see ``worker.relay_pg``)."""

    def changed(self, hints: list[tuple[int, str]]) -> None:
        """New events are in the log, each ``(seq, the worker here it is meant for or "")``: wake the
        task streams of the other replicas and tell them who was asked first."""

    def claimed(self, task_id: str) -> None:
        """A task was claimed here: the other replicas' streams tell their workers."""

    async def forward(self, task_id: str, update: Update) -> None:
        """Apply ``update`` on the replica whose executor runs the task and return once it is on the
        A2A task; raise :class:`errors.Conflict` when no live replica runs it."""

    def tell(self, task_id: str, update: Update) -> None:
        """Like :meth:`forward`, without waiting (notes such as "claimed by ...")."""

    def close(self) -> None: ...


class WorkQueue:
    def __init__(
        self, store: QueueStore, settings: QueueSettings | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.settings = settings or QueueSettings()
        self.clock = clock
        self._channels: dict[str, asyncio.Queue[Update]] = {}  # task id -> its executor's inbox
        self._changed = asyncio.Event()
        self._reaper: asyncio.Task | None = None
        self._closed = False
        self._streams: dict[str, int] = {}  # worker id -> its open task streams
        self._records: dict[str, WorkerRecord] = {}  # registered workers, as they registered
        self._hints: dict[int, str] = {}  # event seq -> the worker it is meant for first
        self._promised: dict[str, str] = {}  # task id -> the worker it was hinted to, until claimed
        self._claims: list[str] = []  # claimed task ids, for the streams' advisory frames
        self._claims_base = 0  # how many were trimmed off the front of _claims
        self._turn = 0
        self.peers: Peers | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        abandoned = self.store.abandon_open()
        if abandoned:
            log.warning("dropped %d queued task(s) left by the previous server", abandoned)
        self._reaper = asyncio.create_task(self._reap_forever(), name="worker-lease-reaper")

    async def close(self) -> None:
        """Stop the reaper and end every task stream (the server is stopping)."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
        if self.peers is not None:
            self.peers.close()
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(self.settings.lease_seconds / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            try:
                self.reap()
            except Exception:
                log.exception("lease reaper failed")

    def reap(self) -> int:
        """Re-queue the tasks whose worker stopped heartbeating; returns how many. Also forgets the
        workers silent for ``forget_after`` seconds."""
        now = self.clock()
        expired = self.store.expire(now)
        requeued = []
        for task_id, worker_id, seq in expired:
            log.warning("worker %s stopped heartbeating; task %s is claimable again", worker_id, task_id)
            self._tell(task_id, Update("requeued", f"worker {worker_id} stopped responding; task re-queued"))
            requeued += [(event.seq, event.task) for event in self.store.events_after(seq - 1, 1)]
        if expired:
            self._after_event(*requeued)
        for record in self.store.forget_workers(now - self.settings.forget_after):
            self._records.pop(record.worker_id, None)
            log.warning(
                "forgot worker %s (%s): no heartbeat for %.0f s; it registers again if it comes back",
                record.worker_id,
                record.name,
                now - record.last_seen,
            )
        return len(expired)

    def _after_event(self, *events: tuple[int, WorkItem]) -> None:
        for seq, item in events:
            self._hint(seq, item)
        self.store.prune_events(self.settings.replay_events)
        self._notify()
        if self.peers is not None and events:
            self.peers.changed([(seq, self._hints.get(seq, "")) for seq, _ in events])

    # -- which worker should take a task first ----------------------------------------------------

    def _record(self, worker_id: str) -> WorkerRecord | None:
        record = self._records.get(worker_id)
        if record is None:
            record = self.store.get_worker(worker_id)
            if record is not None:
                self._records[worker_id] = record
        return record

    def _can_run(self, record: WorkerRecord, item: WorkItem) -> bool:
        if item.mode not in (record.info.get("capabilities") or [item.mode]):
            return False
        if not item.workspace:
            return True
        return any(
            item.workspace in (path, path.rstrip("/").rsplit("/", 1)[-1]) for path in record.info.get("workspaces", [])
        )

    def _hint(self, seq: int, item: WorkItem) -> None:
        """Name the connected worker with the most free slots that can run ``item`` (round robin among
        equals); slots already promised to earlier hints count as taken. When every worker is full the
        one with the fewest tasks waiting for it is named: it takes the task when a slot frees."""
        held = self.store.held_counts()
        promised: dict[str, int] = {}
        for worker_id in self._promised.values():
            promised[worker_id] = promised.get(worker_id, 0) + 1
        candidates = []
        for worker_id in self._streams:
            record = self._record(worker_id)
            if record is None or not self._can_run(record, item):
                continue
            capacity = int(record.info.get("max_concurrent_tasks") or 1)
            candidates.append((capacity - held.get(worker_id, 0) - promised.get(worker_id, 0), worker_id))
        if not candidates:
            return  # no connected worker can run it: whoever can (a later one, a poll) takes it
        best = max(free for free, _ in candidates)
        tied = sorted(worker_id for free, worker_id in candidates if free == best)
        self._turn += 1
        chosen = tied[self._turn % len(tied)]
        self._promised[item.task_id] = chosen
        self._remember_hint(seq, chosen)

    def wake(self, hints: list[tuple[int, str]] | None = None) -> None:
        """Another replica added events to the shared log: the task streams here read them. ``hints``:
        the worker that replica asked first for each (one connected there); where it had none, one
        connected here is named, so a fleet spread over replicas still does not race for each task."""
        for seq, worker_id in hints or []:
            if worker_id:
                self._remember_hint(seq, worker_id)
            else:
                self._after_remote(seq)
        self._notify()

    def _after_remote(self, seq: int) -> None:
        for event in self.store.events_after(seq - 1, 1):
            if event.seq == seq:
                self._hint(seq, event.task)

    def _remember_hint(self, seq: int, worker_id: str) -> None:
        self._hints[seq] = worker_id
        for stale in list(self._hints)[: max(0, len(self._hints) - KEEP_ADVISORIES)]:
            del self._hints[stale]

    def claimed_elsewhere(self, task_id: str) -> None:
        """Another replica's worker claimed ``task_id``: streams here say so, its hint here lapses."""
        self._claimed(task_id)

    def _claimed(self, task_id: str) -> None:
        self._promised.pop(task_id, None)
        self._claims.append(task_id)
        if len(self._claims) > 2 * KEEP_ADVISORIES:
            self._claims_base += len(self._claims) - KEEP_ADVISORIES
            del self._claims[: len(self._claims) - KEEP_ADVISORIES]
        self._notify()

    # -- the A2A side ----------------------------------------------------------------------------

    def submit(self, item: WorkItem, owner: str) -> asyncio.Queue[Update]:
        """Queue ``item`` for the fleet; the returned inbox receives what its worker reports."""
        inbox: asyncio.Queue[Update] = asyncio.Queue()
        self._channels[item.task_id] = inbox
        seq = self.store.enqueue(item, owner, self.clock())
        self._after_event((seq, item))
        return inbox

    def withdraw(self, task_id: str) -> None:
        """The A2A task ended here (canceled, or its run finished): nobody may report on it any more;
        reports still waiting to be applied are refused (their workers get 409)."""
        inbox = self._channels.pop(task_id, None)
        self._promised.pop(task_id, None)
        self.store.drop(task_id)
        while inbox is not None and not inbox.empty():
            update = inbox.get_nowait()
            if update.applied is not None and not update.applied.done():
                update.applied.set_exception(errors.Conflict(f"task {task_id} ended (canceled) before this report"))

    def _deliver(self, task_id: str, update: Update) -> bool:
        inbox = self._channels.get(task_id)
        if inbox is None:
            return False
        inbox.put_nowait(update)
        return True

    def _tell(self, task_id: str, update: Update) -> None:
        """A note for the task's A2A watchers, wherever its executor runs; nobody waits for it."""
        if not self._deliver(task_id, update) and self.peers is not None:
            self.peers.tell(task_id, update)

    async def apply(self, task_id: str, update: Update) -> None:
        """Put a report forwarded by another replica on the A2A task run here; returns once it is
        there. :class:`errors.Conflict` when the task no longer runs here."""
        update.applied = asyncio.get_running_loop().create_future()
        if not self._deliver(task_id, update):
            raise errors.Conflict(f"task {task_id} is no longer running (it ended)")
        await update.applied

    # -- workers ---------------------------------------------------------------------------------

    def register(self, principal: Principal, request: RegisterRequest) -> RegisterResponse:
        if principal.kind == "worker":
            raise errors.Forbidden(
                "a worker token cannot register workers", "register with the server's token (CODETETHER_AUTH_TOKEN)"
            )
        name = (request.name or f"worker-{secrets.token_hex(3)}")[:128]
        worker_id = f"wrk_{secrets.token_hex(8)}"
        token = f"ctw_{secrets.token_urlsafe(32)}"
        now = self.clock()
        info = msgspec.to_builtins(msgspec.structs.replace(request, worker_id=worker_id))
        record = WorkerRecord(
            worker_id=worker_id, name=name, owner=principal.id, registered_at=now, last_seen=now, info=info
        )
        self.store.add_worker(record, token_hash(token))
        self._records[worker_id] = record
        log.info("worker %s (%s) registered by %s", worker_id, name, principal.id)
        return RegisterResponse(
            worker_id=worker_id,
            token=token,
            lease_seconds=self.settings.lease_seconds,
            heartbeat_seconds=self.settings.heartbeat_seconds,
        )

    def principal_for(self, hashed: str) -> Principal | None:
        record = self.store.worker_by_token(hashed)
        if record is None:
            return None
        return Principal(id=f"worker:{record.worker_id}", kind="worker", worker_id=record.worker_id)

    def _as_worker(self, principal: Principal, worker_id: str) -> str:
        """The worker this call acts as: a worker token acts only as itself."""
        if principal.kind != "worker":
            raise errors.Forbidden(
                "only a registered worker's token may do this", "register first: POST /v1/agent/workers/register"
            )
        if worker_id and worker_id != principal.worker_id:
            raise errors.Forbidden(f"this token belongs to worker {principal.worker_id}, not {worker_id}")
        return principal.worker_id

    def heartbeat(self, principal: Principal, worker_id: str, beat: Heartbeat) -> HeartbeatReply:
        worker_id = self._as_worker(principal, worker_id)
        info = {"last_heartbeat": msgspec.to_builtins(beat)}
        now = self.clock()
        extended = self.store.touch_worker(worker_id, info, now, now + self.settings.lease_seconds)
        if extended < 0:
            raise errors.NotFound(f"worker {worker_id} is not registered")
        held = set(self.store.held_by(worker_id))
        revoked = [task_id for task_id in beat.active_tasks if task_id not in held]
        return HeartbeatReply(leases_extended=extended, lease_seconds=self.settings.lease_seconds, revoked=revoked)

    def workers(self, principal: Principal) -> list[WorkerRecord]:
        records = self.store.list_workers()
        return [record for record in records if principal.admin or principal.worker_id == record.worker_id]

    def pending(self, principal: Principal) -> list[WorkItem]:
        if principal.kind != "worker" and not principal.admin:
            raise errors.Forbidden("only workers and the admin see the queue")
        return self.store.pending(MAX_PENDING)

    def claim(self, principal: Principal, request: ClaimRequest) -> ClaimResponse:
        worker_id = self._as_worker(principal, request.worker_id)
        if not request.task_id:
            raise errors.BadRequest("task_id is required")
        item = self.store.claim(request.task_id, worker_id, self.clock() + self.settings.lease_seconds)
        if item is None:
            held = self.store.holder(request.task_id)
            if held is None:
                raise errors.NotFound(f"task {request.task_id} is not in the queue")
            state, holder = held
            who = "another worker" if holder and holder != worker_id else "nobody (it is finished)"
            if holder == worker_id and state == "claimed":
                who = "this worker already"
            raise errors.Conflict(f"task {request.task_id} is not claimable: {who} holds it")
        self._claimed(item.task_id)
        if self.peers is not None:
            self.peers.claimed(item.task_id)
        self._tell(item.task_id, Update("status", f"claimed by worker {worker_id}"))
        return ClaimResponse(task=item, lease_seconds=self.settings.lease_seconds)

    def _holding(self, principal: Principal, worker_id: str, task_id: str) -> str:
        worker_id = self._as_worker(principal, worker_id)
        held = self.store.holder(task_id)
        if held is None:
            raise errors.NotFound(f"task {task_id} is not in the queue")
        if held != ("claimed", worker_id):
            raise errors.Conflict(f"worker {worker_id} does not hold task {task_id} (lease expired or canceled)")
        return worker_id

    async def _relay(self, task_id: str, update: Update) -> None:
        update.applied = asyncio.get_running_loop().create_future()
        if self._deliver(task_id, update):
            await update.applied
        elif self.peers is not None:  # queued by another replica: its executor applies it
            await self.peers.forward(task_id, update)
        else:
            raise errors.Conflict(f"task {task_id} is no longer running on this server")

    async def output(self, principal: Principal, task_id: str, request: OutputRequest) -> None:
        self._holding(principal, request.worker_id, task_id)
        await self._relay(task_id, Update("output" if request.kind == "text" else "status", request.output))

    async def release(self, principal: Principal, request: ReleaseRequest) -> None:
        worker_id = self._holding(principal, request.worker_id, request.task_id)
        if request.outcome == "released":
            seq = self.store.give_back(request.task_id, worker_id, self.clock())
            if seq is None:
                raise errors.Conflict(f"worker {worker_id} does not hold task {request.task_id}")
            self._tell(request.task_id, Update("requeued", request.message or f"worker {worker_id} gave it back"))
            self._after_event(*[(event.seq, event.task) for event in self.store.events_after(seq - 1, 1)])
            return
        if not self.store.finish(request.task_id, worker_id):
            raise errors.Conflict(f"worker {worker_id} does not hold task {request.task_id}")
        await self._relay(
            request.task_id, Update("release", request.message, outcome=request.outcome, result=request.result)
        )

    # -- the event stream ------------------------------------------------------------------------

    async def events(
        self, after: int | None, worker_id: str = ""
    ) -> AsyncIterator[QueueEvent | TaskClaimed | Resync | None]:
        """Task-available events after ``after`` (``None``: from now), live, each with the worker it is
        meant for first; :class:`TaskClaimed` notices as tasks are claimed; ``None`` items are keep-alives.
        ``worker_id``: the worker following (it may be hinted tasks while its stream is open).

        A cursor outside the retained window yields :class:`Resync` first and continues from now."""
        if worker_id:
            self._streams[worker_id] = self._streams.get(worker_id, 0) + 1
        try:
            async for frame in self._frames(after):
                yield frame
        finally:
            if worker_id:
                self._streams[worker_id] -= 1
                if not self._streams[worker_id]:
                    del self._streams[worker_id]

    async def _frames(self, after: int | None) -> AsyncIterator[QueueEvent | TaskClaimed | Resync | None]:
        claims_seen = self._claims_base + len(self._claims)
        first, last = self.store.event_bounds()
        if after is None:
            cursor = last
        elif after < first - 1 or after > last:
            yield Resync(first=first, last=last)
            cursor = last
        else:
            cursor = after
        while not self._closed:
            changed = self._changed
            batch = self.store.events_after(cursor, EVENT_BATCH)
            if batch:
                if batch[0].seq != cursor + 1 and cursor >= 0:
                    first, last = self.store.event_bounds()
                    if cursor < first - 1:  # pruned while this reader lagged
                        yield Resync(first=first, last=last)
                for event in batch:
                    hint = self._hints.get(event.seq, "")
                    yield msgspec.structs.replace(event, for_worker=hint) if hint else event
                    cursor = event.seq
                continue
            if claims_seen < self._claims_base + len(self._claims):
                start = max(0, claims_seen - self._claims_base)
                for task_id in self._claims[start:]:
                    yield TaskClaimed(task_id=task_id)
                claims_seen = self._claims_base + len(self._claims)
                continue
            try:
                await asyncio.wait_for(changed.wait(), self.settings.keepalive_seconds)
            except TimeoutError:
                yield None
