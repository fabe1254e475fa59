"""What the Deployment and its pods say, and what reconcile should do about it (no I/O here).

A pod counts as failing readiness from the moment its ``Ready`` condition turned false (or, with no
condition yet, from its creation). Only pods failing for longer than the threshold count, and only
once the last rolling restart is older than the threshold too: a restart needs that long to bring
its new pods up, so a second restart on its heels would only throw them away.
"""

import datetime as dt
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from kubernetes.client import V1Deployment, V1Pod

RESTARTED_AT = "codetether.run/restartedAt"
DESIRED_REPLICAS = "codetether.run/desired-replicas"

Action = Literal["none", "scale", "restart", "wait"]


class PodHealth(msgspec.Struct, kw_only=True):
    name: str
    phase: str
    ready: bool
    unready_seconds: float  # 0 when ready
    restarts: int


class Plan(msgspec.Struct, kw_only=True):
    action: Action
    reason: str
    replicas: int
    desired_replicas: int | None
    unhealthy: list[str]


def pod_health(pod: "V1Pod", now: dt.datetime) -> PodHealth:
    status = pod.status
    ready_condition = next((c for c in (status.conditions or []) if c.type == "Ready"), None) if status else None
    ready = ready_condition is not None and ready_condition.status == "True"
    since = None
    if not ready:
        since = (ready_condition.last_transition_time if ready_condition else None) or pod.metadata.creation_timestamp
    restarts = sum(c.restart_count or 0 for c in (status.container_statuses or [])) if status else 0
    return PodHealth(
        name=pod.metadata.name,
        phase=(status.phase if status else None) or "Unknown",
        ready=ready,
        unready_seconds=max(0.0, (now - since).total_seconds()) if since else 0.0,
        restarts=restarts,
    )


def restarted_at(deployment: "V1Deployment") -> dt.datetime | None:
    meta = deployment.spec.template.metadata
    text = ((meta.annotations if meta else None) or {}).get(RESTARTED_AT)
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def desired_replicas(deployment: "V1Deployment") -> int | None:
    text = (deployment.metadata.annotations or {}).get(DESIRED_REPLICAS, "")
    return int(text) if text.isdigit() else None


def plan(deployment: "V1Deployment", pods: list["V1Pod"], now: dt.datetime, unready_seconds: float) -> Plan:
    replicas = deployment.spec.replicas if deployment.spec.replicas is not None else 1
    desired = desired_replicas(deployment)
    live = [p for p in pods if p.metadata.deletion_timestamp is None]
    failing = [
        h.name for h in (pod_health(p, now) for p in live) if not h.ready and h.unready_seconds > unready_seconds
    ]

    def make(action: Action, reason: str) -> Plan:
        return Plan(action=action, reason=reason, replicas=replicas, desired_replicas=desired, unhealthy=failing)

    if desired is not None and desired != replicas:
        return make("scale", f"spec.replicas is {replicas}, desired {desired}")
    if not failing:
        return make("none", "every pod is ready or within the readiness threshold")
    last = restarted_at(deployment)
    if last is not None and (now - last).total_seconds() <= unready_seconds:
        return make("wait", f"restarted at {last.isoformat()}; giving its pods {unready_seconds:g}s to become ready")
    return make("restart", f"{len(failing)} pod(s) not ready for over {unready_seconds:g}s: {', '.join(failing)}")
