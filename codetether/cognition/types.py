"""The cognition API's request and response shapes (the original's field names, ISO 8601 times)."""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

import msgspec


def iso(ts: float | None) -> str | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


class PersonaStatus(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"
    REAPED = "reaped"
    ERROR = "error"


class EventType(StrEnum):
    THOUGHT_GENERATED = "thought_generated"  # observe
    HYPOTHESIS_RAISED = "hypothesis_raised"  # reflect
    CHECK_REQUESTED = "check_requested"  # test
    SNAPSHOT_COMPRESSED = "snapshot_compressed"  # compress
    PERSONA_SPAWNED = "persona_spawned"
    PERSONA_REAPED = "persona_reaped"
    BUDGET_PAUSED = "budget_paused"
    IDLE_REAPED = "idle_reaped"
    ERROR = "error"  # the model failed; nothing was thought


_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_Text = Annotated[str, msgspec.Meta(max_length=8000)]


class PersonaPolicy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    max_spawn_depth: Annotated[int, msgspec.Meta(ge=0, le=16)] = 4
    max_branching_factor: Annotated[int, msgspec.Meta(ge=0, le=64)] = 4
    token_budget_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 20_000
    compute_ms_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 10_000
    idle_ttl_secs: Annotated[int, msgspec.Meta(ge=1)] = 3600
    share_memory: bool = True
    allowed_tools: list[str] = []


class CreatePersonaRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    persona_id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")] | None = None
    name: _Name
    role: _Name
    charter: _Text
    swarm_id: str | None = None
    parent_id: str | None = None
    policy: PersonaPolicy | None = None
    tags: list[str] = []


class SpawnPersonaRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    persona_id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")] | None = None
    name: _Name
    role: _Name
    charter: _Text
    swarm_id: str | None = None
    policy: PersonaPolicy | None = None
    tags: list[str] = []


class ReapRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    cascade: bool = False
    reason: str | None = None


class ReapResponse(msgspec.Struct, kw_only=True):
    reaped_ids: list[str]
    count: int


class StartRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    loop_interval_ms: Annotated[int, msgspec.Meta(ge=100)] | None = None
    seed_persona: CreatePersonaRequest | None = None


class StopRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: str | None = None


class PersonaIdentity(msgspec.Struct, kw_only=True):
    id: str
    name: str
    role: str
    charter: str
    swarm_id: str | None
    parent_id: str | None
    depth: int
    created_at: str
    tags: list[str]


class PersonaRuntimeState(msgspec.Struct, kw_only=True):
    identity: PersonaIdentity
    policy: PersonaPolicy
    status: PersonaStatus
    thought_count: int = 0
    last_tick_at: str | None = None
    tokens_this_window: int = 0
    compute_ms_this_window: int = 0
    window_started_at: str | None = None
    last_progress_at: str | None = None
    budget_paused: bool = False


class ThoughtEvent(msgspec.Struct, kw_only=True):
    id: str
    event_type: EventType
    persona_id: str | None
    swarm_id: str | None
    timestamp: str
    payload: dict[str, Any]


class MemorySnapshot(msgspec.Struct, kw_only=True):
    id: str
    generated_at: str
    swarm_id: str | None
    persona_scope: list[str]
    summary: str
    hot_event_count: int
    warm_fact_count: int
    cold_snapshot_count: int
    metadata: dict[str, Any] = {}


class CognitionStatus(msgspec.Struct, kw_only=True):
    enabled: bool
    running: bool
    loop_interval_ms: int
    started_at: str | None
    last_tick_at: str | None
    persona_count: int
    active_persona_count: int
    events_buffered: int
    snapshots_buffered: int


class LineageNode(msgspec.Struct, kw_only=True):
    persona_id: str
    parent_id: str | None
    children: list[str]
    depth: int
    status: PersonaStatus


class Lineage(msgspec.Struct, kw_only=True):
    nodes: list[LineageNode]
    roots: list[str]
    total_edges: int
