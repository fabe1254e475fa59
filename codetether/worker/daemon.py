"""The worker process: register, follow the task stream, claim, run, report, heartbeat, hand back on stop.

Tasks arrive over the server's SSE stream. A dropped stream is reopened with backoff (0.5 s doubling
to 30 s, with jitter) and resumed from the last event id seen, so nothing sent meanwhile is missed
or delivered twice; a ``resync-required`` answer (the cursor fell out of the replay window) and
every ``poll_seconds`` the pending list is read as well, so a task is never stranded. Each task is
claimed before it runs (a lost race is normal: another worker has it) and runs in one of
``max_concurrent`` slots. Heartbeats keep the claims' leases alive; a stopped worker (SIGTERM) gives
its running tasks back to the queue for another worker, a killed one loses them at lease expiry.
"""

import asyncio
import logging
import random
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import msgspec

from .client import QueueClient, QueueClientError
from .cognition import CognitionSettings, read_summary
from .execute import Outcome, TaskExecutor
from .types import Heartbeat, RegisterRequest, ReleaseRequest, WorkItem

log = logging.getLogger(__name__)

BACKOFF_MIN = 0.5
BACKOFF_MAX = 30.0
# A task the server meant for another worker is claimed here only if nobody took it within this long.
HINT_GRACE = 1.0
HISTORY = 1000


@dataclass
class WorkerOptions:
    server: str
    token: str
    name: str
    workspaces: list[Path]
    max_concurrent: int = 4
    poll_seconds: float = 30.0
    heartbeat_seconds: float | None = None  # None: what the server asks for
    model: str | None = None


@dataclass
class WorkerStats:
    """What ``/worker/status`` shows; tests read it to check delivery."""

    worker_id: str = ""
    registered: bool = False
    stream_connected: bool = False
    stream_connects: int = 0
    last_event_id: str | None = None
    events_received: int = 0
    # The last HISTORY of each, so a worker that runs for months stays small.
    event_ids: deque[int] = field(default_factory=lambda: deque(maxlen=HISTORY))  # stream events taken, in order
    duplicate_events: int = 0
    resyncs: int = 0
    polls: int = 0
    claims_won: int = 0
    claims_lost: int = 0
    heartbeats: int = 0
    heartbeat_errors: int = 0
    last_cognition: dict | None = None
    active: dict[str, str] = field(default_factory=dict)  # task id -> its last progress line
    sub_agents: dict[str, list[str]] = field(default_factory=dict)  # task id -> its running sub-agents' sessions
    completed: deque[str] = field(default_factory=lambda: deque(maxlen=HISTORY))
    released: deque[str] = field(default_factory=lambda: deque(maxlen=HISTORY))


class _Reporter:
    def __init__(self, worker: "Worker", task_id: str) -> None:
        self.worker = worker
        self.task_id = task_id

    async def output(self, text: str) -> None:
        await self.worker.client.output(self.worker.stats.worker_id, self.task_id, text)

    async def status(self, text: str) -> None:
        self.worker.stats.active[self.task_id] = text
        await self.worker.client.output(self.worker.stats.worker_id, self.task_id, text, kind="status")

    def sub_agent(self, session_id: str, running: bool) -> None:
        sessions = self.worker.stats.sub_agents.setdefault(self.task_id, [])
        if running and session_id not in sessions:
            sessions.append(session_id)
        elif not running and session_id in sessions:
            sessions.remove(session_id)
        if not sessions:
            self.worker.stats.sub_agents.pop(self.task_id, None)


class Worker:
    def __init__(
        self,
        options: WorkerOptions,
        executor: TaskExecutor,
        session: aiohttp.ClientSession,
        cognition: CognitionSettings | None = None,
    ) -> None:
        self.options = options
        self.executor = executor
        self.session = session
        self.cognition = cognition or CognitionSettings(enabled=False)
        self.admin = QueueClient(options.server, options.token, session)  # registers; the rest uses our token
        self.client = self.admin
        self.stats = WorkerStats()
        self._last_seq = 0  # events arrive in order, and a resumed stream only replays later ones
        self._runs: dict[str, asyncio.Task] = {}
        self._slots = asyncio.Semaphore(options.max_concurrent)
        self._heartbeat_seconds = 30.0
        self._stopping = False
        self._refilling: asyncio.Task | None = None
        self._claim_ms: deque[float] = deque(maxlen=1000)  # the last claims' round trips, for /worker/status
        self._want_refill = False
        self._revoked: set[str] = set()  # runs stopped because the server took their task back
        self._deferred: dict[str, asyncio.TimerHandle] = {}  # tasks meant for another worker, claimed late
        self._missed = False  # a task was passed over for want of a slot since the last poll
        self._registering = asyncio.Lock()  # the stream and the heartbeat may both find us forgotten

    # -- status ----------------------------------------------------------------------------------

    def status(self) -> dict:
        latencies = sorted(self._claim_ms)
        claims = {"count": len(latencies)}
        if latencies:
            claims |= {
                "p50": latencies[len(latencies) // 2],
                "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            }
        stats = {
            name: list(value) if isinstance(value, deque) else value for name, value in self.stats.__dict__.items()
        }
        return {"name": self.options.name, "claim_ms": claims, **msgspec.to_builtins(stats)}

    def ready(self) -> bool:
        return self.stats.registered and self.stats.stream_connected

    # -- life ------------------------------------------------------------------------------------

    async def register(self) -> None:
        reply = await self.admin.register(
            RegisterRequest(
                name=self.options.name,
                capabilities=list(self.executor.modes),
                hostname=socket.gethostname(),
                models=[self.options.model] if self.options.model else [],
                workspaces=[str(path) for path in self.options.workspaces],
                max_concurrent_tasks=self.options.max_concurrent,
            )
        )
        self.client = QueueClient(self.options.server, reply.token, self.session)
        self.stats.worker_id = reply.worker_id
        self.stats.registered = True
        self._heartbeat_seconds = self.options.heartbeat_seconds or reply.heartbeat_seconds
        log.info("registered as %s with %s", reply.worker_id, self.options.server)

    async def run(self, stop: asyncio.Event, *, registered: bool = False) -> None:
        """Work until ``stop`` is set, then hand running tasks back and return."""
        if not registered:
            await self.register()
        loops = [
            asyncio.create_task(self._follow_stream(), name="worker-stream"),
            asyncio.create_task(self._heartbeat_forever(), name="worker-heartbeat"),
            asyncio.create_task(self._poll_forever(), name="worker-poll"),
        ]
        try:
            await stop.wait()
        finally:
            self._stopping = True
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self._hand_back()

    async def _hand_back(self) -> None:
        runs = [run for run in self._runs.values() if not run.done()]
        for run in runs:
            run.cancel()
        if runs:
            await asyncio.gather(*runs, return_exceptions=True)

    # -- receiving tasks -------------------------------------------------------------------------

    async def _follow_stream(self) -> None:
        backoff = BACKOFF_MIN
        while True:
            try:
                cursor = self.stats.last_event_id
                client = self.client
                async for frame in client.stream(self.stats.worker_id, self.options.name, cursor):
                    if frame.event == "open":
                        self.stats.stream_connected = True
                        self.stats.stream_connects += 1
                        backoff = BACKOFF_MIN
                        if self.stats.last_event_id is None:  # a fresh cursor: what was queued before it
                            await self.poll()
                    elif frame.event == "task.available" and frame.id:
                        self._on_event(int(frame.id), msgspec.json.decode(frame.data))
                    elif frame.event == "task.claimed":
                        waiting = self._deferred.pop(msgspec.json.decode(frame.data).get("task_id", ""), None)
                        if waiting is not None:
                            waiting.cancel()
                    elif frame.event == "resync-required":
                        self.stats.resyncs += 1
                        self._last_seq = int(msgspec.json.decode(frame.data).get("last", 0))  # a new log
                        self.stats.last_event_id = str(self._last_seq)
                        await self.poll()
            except QueueClientError as exc:
                log.warning("task stream: %s", exc)
                if exc.status == 401:
                    await self._reregister(client)
            except (ValueError, msgspec.DecodeError) as exc:
                log.warning("task stream sent a malformed frame (%s); reconnecting", exc)
            self.stats.stream_connected = False
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, BACKOFF_MAX)

    def _on_event(self, seq: int, body: dict) -> None:
        self.stats.last_event_id = str(seq)
        if seq <= self._last_seq:
            self.stats.duplicate_events += 1
            return
        self._last_seq = seq
        self.stats.events_received += 1
        self.stats.event_ids.append(seq)
        item = msgspec.convert(body["task"], WorkItem)
        meant_for = body.get("for_worker") or ""
        if meant_for and meant_for != self.stats.worker_id:
            # Another worker was asked first: take it only if it is still unclaimed after a moment.
            previous = self._deferred.pop(item.task_id, None)
            if previous is not None:
                previous.cancel()
            self._deferred[item.task_id] = asyncio.get_running_loop().call_later(HINT_GRACE, self._late_offer, item)
            return
        self.offer(item)

    def _late_offer(self, item: WorkItem) -> None:
        self._deferred.pop(item.task_id, None)
        self.offer(item)

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.options.poll_seconds)
            try:
                await self.poll()
            except QueueClientError as exc:
                log.warning("polling pending tasks: %s", exc)

    async def poll(self) -> None:
        self.stats.polls += 1
        for item in await self.client.pending():
            self.offer(item)

    def workspace_for(self, item: WorkItem) -> Path | None:
        if not item.workspace:
            return self.options.workspaces[0]
        for path in self.options.workspaces:
            if item.workspace in (str(path), path.name):
                return path
        return None

    def offer(self, item: WorkItem) -> None:
        """Try to take ``item`` if this worker can run it and has a free slot."""
        if self._stopping or item.task_id in self._runs or item.task_id in self._deferred:
            return  # running here already, or meant for another worker that still has a moment to take it
        if item.mode not in self.executor.modes or self.workspace_for(item) is None:
            return  # another worker's: leave it on the queue
        if self._slots.locked():
            self._missed = True  # full: the next freed slot reads the pending list
            return
        self._runs[item.task_id] = asyncio.create_task(self._work(item), name=f"worker-task-{item.task_id}")

    # -- running one -----------------------------------------------------------------------------

    async def _work(self, item: WorkItem) -> None:
        try:
            async with self._slots:
                started = time.perf_counter()
                claim = await self.client.claim(self.stats.worker_id, item.task_id)
                self._claim_ms.append((time.perf_counter() - started) * 1000)
                if claim is None:
                    self.stats.claims_lost += 1
                    return
                self.stats.claims_won += 1
                self.stats.active[item.task_id] = "claimed"
                await self._run_claimed(claim.task)
        except QueueClientError as exc:
            log.warning("task %s: %s", item.task_id, exc)
        finally:
            self.stats.active.pop(item.task_id, None)
            self.stats.sub_agents.pop(item.task_id, None)
            self._runs.pop(item.task_id, None)
            if not self._stopping:
                asyncio.get_running_loop().call_soon(self._refill)

    def _refill(self) -> None:
        """A slot came free: if tasks were passed over while all were busy, read the pending list (one poll
        at a time, again if another slot came free meanwhile)."""
        if not self._missed:
            return
        self._missed = False
        self._want_refill = True
        if not self._stopping and self._refilling is None:
            self._refilling = asyncio.create_task(self._refill_loop())

    async def _refill_loop(self) -> None:
        try:
            while self._want_refill and not self._stopping:
                self._want_refill = False
                await self.poll()
        except QueueClientError as exc:
            log.warning("polling pending tasks: %s", exc)
        finally:
            self._refilling = None

    async def _run_claimed(self, item: WorkItem) -> None:
        workspace = self.workspace_for(item)
        assert workspace is not None
        try:
            outcome = await self.executor.run(item, workspace, _Reporter(self, item.task_id))
        except asyncio.CancelledError:
            if item.task_id in self._revoked:  # the server took it back: nothing to release
                self._revoked.discard(item.task_id)
                log.warning("task %s was canceled or reassigned; its run stopped", item.task_id)
                return
            await asyncio.shield(self._release(item, Outcome(outcome="released", message="the worker is stopping")))
            self.stats.released.append(item.task_id)
            raise
        except QueueClientError as exc:
            if exc.status in (404, 409):  # canceled, or our lease ran out and another worker has it
                log.warning("task %s was taken from this worker: %s", item.task_id, exc)
                return
            raise
        except Exception as exc:
            log.warning("task %s failed: %s", item.task_id, exc, exc_info=True)
            outcome = Outcome(outcome="failed", message=f"{type(exc).__name__}: {exc}")
        await self._release(item, outcome)
        self.stats.completed.append(item.task_id)

    async def _release(self, item: WorkItem, outcome: Outcome) -> None:
        try:
            await self.client.release(
                ReleaseRequest(
                    task_id=item.task_id,
                    worker_id=self.stats.worker_id,
                    outcome=outcome.outcome,
                    message=outcome.message,
                    result=outcome.result,
                )
            )
        except QueueClientError as exc:
            log.warning("could not release task %s: %s", item.task_id, exc)

    # -- heartbeats ------------------------------------------------------------------------------

    async def _heartbeat_forever(self) -> None:
        while True:
            await self.heartbeat()
            await asyncio.sleep(self._heartbeat_seconds)

    async def heartbeat(self) -> None:
        cognition = await read_summary(self.cognition, self.session)
        self.stats.last_cognition = msgspec.to_builtins(cognition) if cognition else None
        active = sorted(self.stats.active)
        beat = Heartbeat(
            worker_id=self.stats.worker_id,
            agent_name=self.options.name,
            status="busy" if active else "idle",
            active_task_count=len(active),
            active_tasks=active,
            sub_agents=[
                f"{task}/{session}" for task, sessions in self.stats.sub_agents.items() for session in sessions
            ],
            task_progress=dict(self.stats.active) or None,
            cognition=cognition,
        )
        client = self.client
        try:
            reply = await client.heartbeat(self.stats.worker_id, beat)
            self.stats.heartbeats += 1
            for task_id in reply.revoked:
                run = self._runs.get(task_id)
                if run is not None and not run.done():
                    self._revoked.add(task_id)
                    run.cancel()
        except QueueClientError as exc:
            self.stats.heartbeat_errors += 1
            log.warning("heartbeat: %s", exc)
            if exc.status in (401, 404):  # the server forgot us (a long silence, a fresh data dir)
                await self._reregister(client)

    async def _reregister(self, refused: QueueClient) -> None:
        """Register anew, once however many loops were refused with the same token."""
        async with self._registering:
            if self.client is not refused:
                return  # another loop registered again already
            former = self.stats.worker_id
            log.warning("the server no longer knows worker %s; registering again", former)
            try:
                await self.register()
                log.warning("registered again as %s (was %s)", self.stats.worker_id, former)
            except QueueClientError as exc:
                log.warning("registering again: %s", exc)
