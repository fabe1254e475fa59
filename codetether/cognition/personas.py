"""The persona tree: create, spawn under a parent within its policy, reap (with its subtree), lineage.

A spawn is refused beyond the parent's ``max_spawn_depth`` or once it has ``max_branching_factor``
live children, and a child's own policy may narrow its parent's but never widen it: a thinking persona
can ask for helpers, but the tree stays bounded. Reaped personas
stay in the tree (the lineage shows them) and never think again.
"""

import uuid
from collections.abc import Callable

from .errors import CognitionError, PersonaNotFound, PolicyRefused
from .types import (
    CreatePersonaRequest,
    Lineage,
    LineageNode,
    PersonaIdentity,
    PersonaPolicy,
    PersonaRuntimeState,
    PersonaStatus,
    SpawnPersonaRequest,
    iso,
)

MAX_PERSONAS = 1000


class Personas:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.states: dict[str, PersonaRuntimeState] = {}
        self.children: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.states)

    def get(self, persona_id: str) -> PersonaRuntimeState:
        state = self.states.get(persona_id)
        if state is None:
            raise PersonaNotFound(f"no persona {persona_id!r}", "GET /v1/swarm/lineage lists them")
        return state

    def active(self) -> list[PersonaRuntimeState]:
        return [s for s in self.states.values() if s.status in (PersonaStatus.ACTIVE, PersonaStatus.ERROR)]

    def create(self, request: CreatePersonaRequest) -> PersonaRuntimeState:
        parent = self.get(request.parent_id) if request.parent_id else None
        depth = 0
        if parent is not None:
            self._check_spawn(parent)
            depth = parent.identity.depth + 1
        persona_id = request.persona_id or f"persona-{uuid.uuid4().hex[:12]}"
        if persona_id in self.states:
            raise PolicyRefused(f"persona {persona_id!r} already exists", "pick another persona_id or leave it out")
        if len(self.states) >= MAX_PERSONAS:
            raise PolicyRefused(f"already {MAX_PERSONAS} personas", "reap some first")
        policy = request.policy or (parent.policy if parent is not None else PersonaPolicy())
        _check_tools(policy.allowed_tools)
        if parent is not None and request.policy is not None:
            _check_narrower(policy, parent.policy, parent.identity.id)
        swarm_id = request.swarm_id or (parent.identity.swarm_id if parent is not None else None)
        now = self._clock()
        state = PersonaRuntimeState(
            identity=PersonaIdentity(
                id=persona_id,
                name=request.name,
                role=request.role,
                charter=request.charter,
                swarm_id=swarm_id,
                parent_id=parent.identity.id if parent is not None else None,
                depth=depth,
                created_at=iso(now) or "",
                tags=list(request.tags),
            ),
            policy=policy,
            status=PersonaStatus.ACTIVE,
            window_started_at=iso(now),
            last_progress_at=iso(now),
        )
        self.states[persona_id] = state
        self.children.setdefault(persona_id, [])
        if parent is not None:
            self.children[parent.identity.id].append(persona_id)
        return state

    def spawn(self, parent_id: str, request: SpawnPersonaRequest) -> PersonaRuntimeState:
        fields = {f: getattr(request, f) for f in request.__struct_fields__}
        return self.create(CreatePersonaRequest(**fields, parent_id=parent_id))

    def reap(self, persona_id: str, *, cascade: bool) -> list[str]:
        """Reap the persona (and with ``cascade`` its live descendants); the ids reaped, parent first."""
        self.get(persona_id)
        targets = [persona_id]
        if cascade:
            stack = list(self.children.get(persona_id, []))
            while stack:
                child = stack.pop(0)
                targets.append(child)
                stack.extend(self.children.get(child, []))
        elif any(self.states[c].status != PersonaStatus.REAPED for c in self.children.get(persona_id, [])):
            raise PolicyRefused(
                f"persona {persona_id!r} has live children", 'reap them first, or send {"cascade": true}'
            )
        reaped = []
        for target in targets:
            state = self.states[target]
            if state.status != PersonaStatus.REAPED:
                state.status = PersonaStatus.REAPED
                reaped.append(target)
        return reaped

    def lineage(self) -> Lineage:
        nodes = [
            LineageNode(
                persona_id=pid,
                parent_id=s.identity.parent_id,
                children=list(self.children.get(pid, [])),
                depth=s.identity.depth,
                status=s.status,
            )
            for pid, s in self.states.items()
        ]
        roots = [n.persona_id for n in nodes if n.parent_id is None]
        return Lineage(nodes=nodes, roots=roots, total_edges=sum(len(n.children) for n in nodes))

    def _check_spawn(self, parent: PersonaRuntimeState) -> None:
        pid = parent.identity.id
        if parent.status == PersonaStatus.REAPED:
            raise PolicyRefused(f"persona {pid!r} was reaped", "spawn under a live persona")
        if parent.identity.depth + 1 > parent.policy.max_spawn_depth:
            raise PolicyRefused(
                f"spawning under {pid!r} would exceed max_spawn_depth {parent.policy.max_spawn_depth}",
                "spawn under a shallower persona",
            )
        live = [c for c in self.children.get(pid, []) if self.states[c].status != PersonaStatus.REAPED]
        if len(live) >= parent.policy.max_branching_factor:
            raise PolicyRefused(
                f"persona {pid!r} already has {len(live)} live children (max_branching_factor "
                f"{parent.policy.max_branching_factor})",
                "reap one of them first",
            )


def _check_tools(names: list[str]) -> None:
    from ..tools.registry import BUILTIN_TOOLS
    from .thinker import FORBIDDEN_TOOLS

    allowed = sorted(set(BUILTIN_TOOLS) - FORBIDDEN_TOOLS)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise CognitionError(
            f"policy.allowed_tools: {', '.join(map(repr, unknown))} cannot be given to a persona",
            "choose from " + ", ".join(allowed),
        )


_LIMITS = ("max_spawn_depth", "max_branching_factor", "token_budget_per_minute", "compute_ms_per_minute")


def _check_narrower(policy: PersonaPolicy, parent: PersonaPolicy, parent_id: str) -> None:
    """A child's own policy may narrow its parent's, never widen it: otherwise each spawn could lift the
    depth and branching limits (the tree would be bounded only by MAX_PERSONAS) and the tools."""
    wider = [f"{name} {getattr(policy, name)} > {getattr(parent, name)}" for name in _LIMITS
             if getattr(policy, name) > getattr(parent, name)]  # fmt: skip
    extra = sorted(set(policy.allowed_tools) - set(parent.allowed_tools))
    if extra:
        wider.append(f"allowed_tools {extra} beyond the parent's {sorted(parent.allowed_tools)}")
    if wider:
        raise PolicyRefused(
            f"a child of {parent_id!r} cannot have a wider policy than it: {'; '.join(wider)}",
            "give the child limits no larger than its parent's, or leave policy out to inherit them",
        )
