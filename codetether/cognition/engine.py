"""The think loop: every tick, each active persona takes its next phase on the model.

Phases cycle observe → reflect → test → compress by the persona's count of *successful* thoughts,
so a phase the model failed is retried, not skipped. Each persona has per-minute budgets (tokens
and milliseconds of model time, from its policy); one over either is paused, with one
``budget_paused`` event, until its minute is up. When the model fails, the persona gets an
``error`` event, status ``error`` and an exponential back-off (the loop interval doubled per
failure in a row, at most five minutes); no text is produced for it. The compress phase turns the
model's answer into a memory snapshot. A persona with no successful thought for ``idle_ttl_secs``
is reaped (``idle_reaped``). ``clock`` is wall time in seconds, passed in so tests can move it.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from ..config.schema import CognitionSection
from .errors import CognitionDisabled
from .memory import EventRing, Lag, SnapshotStore
from .personas import Personas
from .thinker import Thinker
from .types import (
    CognitionStatus,
    CreatePersonaRequest,
    EventType,
    Lineage,
    MemorySnapshot,
    PersonaRuntimeState,
    PersonaStatus,
    ReapResponse,
    SpawnPersonaRequest,
    StartRequest,
    ThoughtEvent,
    iso,
)

log = logging.getLogger(__name__)

PHASES = ("observe", "reflect", "test", "compress")
PHASE_EVENTS = {
    "observe": EventType.THOUGHT_GENERATED,
    "reflect": EventType.HYPOTHESIS_RAISED,
    "test": EventType.CHECK_REQUESTED,
    "compress": EventType.SNAPSHOT_COMPRESSED,
}
WINDOW_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 300.0
RECENT_IN_PROMPT = 8
SEED = CreatePersonaRequest(
    persona_id="root-thinker",
    name="Root Thinker",
    role="orchestrator",
    charter="Watch what this CodeTether server is asked to do and how it goes; keep a short, accurate memory of it.",
)


class AuditSink(Protocol):
    def record(self, actor: str, action: str, resource: str = "", outcome: str = "ok", detail: str = "") -> None: ...


@dataclass
class _Book:
    """What the engine tracks per persona beside its public state."""

    window_start: float
    last_progress: float
    failures: int = 0
    next_attempt: float = 0.0
    facts_since_snapshot: int = 0


def _prompt(name: str) -> str:
    return resources.files(__package__).joinpath("prompts", f"{name}.md").read_text()


class CognitionEngine:
    def __init__(
        self,
        settings: CognitionSection,
        thinker: Thinker,
        *,
        clock: Callable[[], float] = time.time,
        audit: AuditSink | None = None,
        snapshot_path: Path | None = None,
    ) -> None:
        self.settings = settings
        self.thinker = thinker
        self.clock = clock
        self.audit = audit
        self.interval_ms = settings.loop_interval_ms
        self.personas = Personas(clock)
        self.ring = EventRing(settings.max_events)
        self.snapshots = SnapshotStore(settings.max_snapshots, snapshot_path)
        self._books: dict[str, _Book] = {}
        self._task: asyncio.Task | None = None
        self._started_at: float | None = None
        self._last_tick: float | None = None
        self._templates = {name: _prompt(name) for name in (*PHASES, "system")}

    # --- control -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def status(self) -> CognitionStatus:
        return CognitionStatus(
            enabled=self.settings.enabled,
            running=self.running,
            loop_interval_ms=self.interval_ms,
            started_at=iso(self._started_at) if self.running else None,
            last_tick_at=iso(self._last_tick),
            persona_count=len(self.personas),
            active_persona_count=len(self.personas.active()),
            events_buffered=len(self.ring),
            snapshots_buffered=len(self.snapshots),
        )

    def start(self, request: StartRequest | None = None) -> CognitionStatus:
        self._require_enabled()
        request = request or StartRequest()
        if request.loop_interval_ms is not None:
            self.interval_ms = request.loop_interval_ms
        if request.seed_persona is not None or not len(self.personas):
            self.create_persona(request.seed_persona or SEED)
        if not self.running:
            self._started_at = self.clock()
            self._task = asyncio.create_task(self._loop(), name="cognition-loop")
            self._record("cognition.start", f"interval={self.interval_ms}ms")
        return self.status()

    async def stop(self, reason: str | None = None) -> CognitionStatus:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._record("cognition.stop", reason or "")
        return self.status()

    def _require_enabled(self) -> None:
        if not self.settings.enabled:
            raise CognitionDisabled(
                "cognition is disabled", "set [cognition] enabled = true (CODETETHER_COGNITION_ENABLED)"
            )

    # --- personas ----------------------------------------------------------------------------------
    def create_persona(self, request: CreatePersonaRequest) -> PersonaRuntimeState:
        self._require_enabled()
        state = self.personas.create(request)
        now = self.clock()
        self._books[state.identity.id] = _Book(window_start=now, last_progress=now)
        parent = state.identity.parent_id
        self._emit(EventType.PERSONA_SPAWNED, state, {"name": state.identity.name, "parent_id": parent})
        self._record("cognition.persona.create", state.identity.id)
        return state

    def spawn(self, parent_id: str, request: SpawnPersonaRequest) -> PersonaRuntimeState:
        fields = {f: getattr(request, f) for f in request.__struct_fields__}
        return self.create_persona(CreatePersonaRequest(**fields, parent_id=parent_id))

    def reap(self, persona_id: str, *, cascade: bool = False, reason: str | None = None) -> ReapResponse:
        reaped = self.personas.reap(persona_id, cascade=cascade)
        for pid in reaped:
            self._emit(EventType.PERSONA_REAPED, self.personas.get(pid), {"reason": reason or "requested"})
        self._record("cognition.persona.reap", ",".join(reaped), reason or "")
        return ReapResponse(reaped_ids=reaped, count=len(reaped))

    def lineage(self) -> Lineage:
        return self.personas.lineage()

    def latest_snapshot(self) -> MemorySnapshot | None:
        return self.snapshots.latest()

    def follow(self, heartbeat: float = 15.0) -> AsyncIterator[ThoughtEvent | Lag | None]:
        return self.ring.follow(heartbeat=heartbeat)

    # --- the loop ----------------------------------------------------------------------------------
    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bug in one tick must not end thinking for good
                log.exception("cognition tick failed")
            await asyncio.sleep(self.interval_ms / 1000)

    async def tick(self) -> None:
        """One pass over the active personas, concurrently."""
        self._last_tick = self.clock()
        await asyncio.gather(*(self._step(state) for state in self.personas.active()))

    async def _step(self, state: PersonaRuntimeState) -> None:
        pid = state.identity.id
        book = self._books[pid]
        now = self.clock()
        state.last_tick_at = iso(now)
        if now - book.last_progress > state.policy.idle_ttl_secs:
            state.status = PersonaStatus.REAPED
            self._emit(EventType.IDLE_REAPED, state, {"idle_seconds": round(now - book.last_progress, 1)})
            return
        if now - book.window_start >= WINDOW_SECONDS:
            book.window_start = now
            state.window_started_at = iso(now)
            state.tokens_this_window = state.compute_ms_this_window = 0
            state.budget_paused = False
        if now < book.next_attempt:
            return
        policy = state.policy
        if state.tokens_this_window >= policy.token_budget_per_minute or (
            state.compute_ms_this_window >= policy.compute_ms_per_minute
        ):
            if not state.budget_paused:
                state.budget_paused = True
                payload = {
                    "tokens_this_window": state.tokens_this_window,
                    "token_budget_per_minute": policy.token_budget_per_minute,
                    "compute_ms_this_window": state.compute_ms_this_window,
                    "compute_ms_per_minute": policy.compute_ms_per_minute,
                    "resumes_at": iso(book.window_start + WINDOW_SECONDS),
                }
                self._emit(EventType.BUDGET_PAUSED, state, payload)
            return
        phase = PHASES[state.thought_count % len(PHASES)]
        started = time.perf_counter()
        try:
            thought = await self.thinker.think(state, self._system(state), self._phase_prompt(state, phase))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the model (or its provider) failed: say so, back off, invent nothing
            book.failures += 1
            delay = min(self.interval_ms / 1000 * 2**book.failures, MAX_BACKOFF_SECONDS)
            book.next_attempt = self.clock() + delay
            state.status = PersonaStatus.ERROR
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            payload = {"phase": phase, "error": message, "consecutive_failures": book.failures}
            payload["retry_at"] = iso(book.next_attempt)
            self._emit(EventType.ERROR, state, payload)
            return
        finally:
            state.compute_ms_this_window += int((time.perf_counter() - started) * 1000)
        book.failures = 0
        book.next_attempt = 0.0
        book.last_progress = self.clock()
        state.status = PersonaStatus.ACTIVE
        state.thought_count += 1
        state.tokens_this_window += thought.tokens
        state.last_progress_at = iso(book.last_progress)
        payload = {"phase": phase, "text": thought.text, "tokens": thought.tokens, "model": thought.model}
        if phase == "compress":
            payload["snapshot_id"] = self._compress(state, thought.text, thought.model).id
        else:
            book.facts_since_snapshot += 1
        self._emit(PHASE_EVENTS[phase], state, payload)

    def _compress(self, state: PersonaRuntimeState, summary: str, model: str) -> MemorySnapshot:
        swarm = state.identity.swarm_id
        if state.policy.share_memory:
            scope = [s.identity.id for s in self.personas.states.values() if s.identity.swarm_id == swarm]
        else:
            scope = [state.identity.id]
        hot = sum(1 for e in self.ring.events() if e.persona_id in scope)
        book = self._books[state.identity.id]
        snapshot = MemorySnapshot(
            id=f"snap-{uuid.uuid4().hex[:12]}",
            generated_at=iso(self.clock()) or "",
            swarm_id=swarm,
            persona_scope=scope,
            summary=summary,
            hot_event_count=hot,
            warm_fact_count=book.facts_since_snapshot,
            cold_snapshot_count=self.snapshots.count(swarm),
            metadata={"persona_id": state.identity.id, "model": model},
        )
        book.facts_since_snapshot = 0
        self.snapshots.add(snapshot)
        return snapshot

    # --- helpers -----------------------------------------------------------------------------------
    def _system(self, state: PersonaRuntimeState) -> str:
        who = state.identity
        return self._templates["system"].format(name=who.name, role=who.role, charter=who.charter)

    def _phase_prompt(self, state: PersonaRuntimeState, phase: str) -> str:
        swarm = state.identity.swarm_id
        thoughts = [
            e
            for e in self.ring.events()
            if e.event_type in PHASE_EVENTS.values()
            and (e.persona_id == state.identity.id or (state.policy.share_memory and e.swarm_id == swarm))
        ][-RECENT_IN_PROMPT:]
        lines = [f"- [{e.persona_id} {e.payload.get('phase')}] {e.payload.get('text', '')}" for e in thoughts]
        return self._templates[phase].format(recent="\n".join(lines) or "(none yet)")

    def _emit(self, kind: EventType, state: PersonaRuntimeState, payload: dict[str, Any]) -> None:
        event = ThoughtEvent(
            id=uuid.uuid4().hex,
            event_type=kind,
            persona_id=state.identity.id,
            swarm_id=state.identity.swarm_id,
            timestamp=iso(self.clock()) or "",
            payload=payload,
        )
        self.ring.append(event)

    def _record(self, action: str, resource: str, detail: str = "") -> None:
        if self.audit is not None:
            self.audit.record("cognition", action, resource, "ok", detail)
