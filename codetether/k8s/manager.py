"""The replica's view of its own Deployment: status, scale, health, reconcile and the action record.

Every change (scale, rolling restart, a reconcile's fix) happens under the ``LeaseGuard`` and is
decided again *after* the Lease is taken, from a fresh read: a replica that waited for the Lease
while another restarted the Deployment then sees the new ``restartedAt`` and does nothing, so two
replicas racing make the change once. Each action is kept in memory (``/v1/k8s/actions``) and
written to the audit log. The official client blocks, so its calls run on threads.
"""

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import time
import uuid
from typing import TYPE_CHECKING, Protocol

import msgspec

from .errors import K8sDisabled, K8sError, K8sInvalid, from_api
from .health import DESIRED_REPLICAS, RESTARTED_AT, Plan, PodHealth, desired_replicas, plan, pod_health, restarted_at
from .lease import LeaseGuard
from .settings import K8sSettings

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, V1Deployment, V1Pod

    from .connect import Connection

log = logging.getLogger(__name__)

MAX_ACTIONS = 500


class AuditSink(Protocol):
    """Where actions are recorded (the server's ``AuditWriter``)."""

    def record(self, actor: str, action: str, resource: str = "", outcome: str = "ok", detail: str = "") -> None: ...


class K8sAction(msgspec.Struct, kw_only=True):
    id: str
    at: float
    action: str  # scale, restart, reconcile
    outcome: str  # ok, skipped (another replica holds the Lease / nothing to do), error
    detail: str
    holder: str


class K8sStatus(msgspec.Struct, kw_only=True):
    enabled: bool
    reason: str = ""
    source: str = ""
    namespace: str = ""
    deployment: str = ""
    pod: str = ""
    replicas: int | None = None
    desired_replicas: int | None = None
    available_replicas: int = 0
    ready_replicas: int = 0
    updated_replicas: int = 0
    restarted_at: str | None = None
    reconciling: bool = False  # whether this replica's reconcile loop runs


class K8sHealth(msgspec.Struct, kw_only=True):
    healthy: bool
    replicas: int
    available_replicas: int
    unready_threshold_seconds: float
    pods: list[PodHealth]
    unhealthy: list[str]


class ReconcileReport(msgspec.Struct, kw_only=True):
    at: float
    action: str  # none, wait, scale, restart, skipped
    reason: str
    replicas: int
    desired_replicas: int | None
    unhealthy: list[str]


class K8sManager:
    """Talks to the Deployment ``settings.deployment``; ``connection.client`` None means disabled."""

    def __init__(self, settings: K8sSettings, connection: "Connection", audit: AuditSink | None = None) -> None:
        self.settings = settings
        self.connection = connection
        self.audit = audit
        self._actions: collections.deque[K8sAction] = collections.deque(maxlen=MAX_ACTIONS)
        self._loop_task: asyncio.Task | None = None
        self.last_report: ReconcileReport | None = None
        self.lease = (
            LeaseGuard(
                connection.client,
                settings.namespace,
                f"{settings.deployment}-codetether-ops",
                settings.pod,
                settings.lease_seconds,
            )
            if connection.client is not None
            else None
        )

    @property
    def enabled(self) -> bool:
        return self.connection.client is not None

    def require_enabled(self) -> None:
        """Raise :class:`K8sDisabled` (with the reason) when there is no cluster."""
        self._client()

    def _client(self) -> "ApiClient":
        if self.connection.client is None:
            raise K8sDisabled(f"kubernetes is disabled: {self.connection.reason}", "run in a pod or set KUBECONFIG")
        return self.connection.client

    # --- reads -------------------------------------------------------------------------------------
    async def status(self) -> K8sStatus:
        if not self.enabled:
            return K8sStatus(enabled=False, reason=self.connection.reason, source=self.connection.source)
        deployment = await asyncio.to_thread(self._read_deployment)
        status = deployment.status
        last = restarted_at(deployment)
        return K8sStatus(
            enabled=True,
            source=self.connection.source,
            namespace=self.settings.namespace,
            deployment=self.settings.deployment,
            pod=self.settings.pod,
            replicas=deployment.spec.replicas,
            desired_replicas=desired_replicas(deployment),
            available_replicas=(status.available_replicas if status else 0) or 0,
            ready_replicas=(status.ready_replicas if status else 0) or 0,
            updated_replicas=(status.updated_replicas if status else 0) or 0,
            restarted_at=last.isoformat() if last else None,
            reconciling=self._loop_task is not None,
        )

    async def health(self) -> K8sHealth:
        deployment, pods = await asyncio.to_thread(self._read_all)
        now = dt.datetime.now(dt.UTC)
        report = [pod_health(p, now) for p in pods if p.metadata.deletion_timestamp is None]
        unhealthy = [h.name for h in report if not h.ready and h.unready_seconds > self.settings.unready_seconds]
        replicas = deployment.spec.replicas if deployment.spec.replicas is not None else 1
        available = (deployment.status.available_replicas if deployment.status else 0) or 0
        return K8sHealth(
            healthy=not unhealthy and available >= replicas,
            replicas=replicas,
            available_replicas=available,
            unready_threshold_seconds=self.settings.unready_seconds,
            pods=report,
            unhealthy=unhealthy,
        )

    def actions(self, limit: int = 100) -> list[K8sAction]:
        return list(self._actions)[-limit:]

    # --- changes -----------------------------------------------------------------------------------
    async def scale(self, replicas: int) -> K8sAction:
        """Set ``spec.replicas`` and remember it as the desired count (what reconcile holds it to)."""
        if replicas < 0 or replicas > 1000:
            raise K8sInvalid(f"replicas must be between 0 and 1000, not {replicas}", "pass a sensible count")
        self.require_enabled()
        async with self.lease.hold("scale") as held:  # type: ignore[union-attr]
            if not held:
                return self._record("scale", "skipped", f"another replica holds Lease {self.lease.name}")  # type: ignore[union-attr]
            try:
                await asyncio.to_thread(self._patch_replicas, replicas)
            except K8sError as exc:
                self._record("scale", "error", exc.message)
                raise
            return self._record("scale", "ok", f"replicas={replicas}")

    async def rolling_restart(self, reason: str = "requested") -> K8sAction:
        self.require_enabled()
        async with self.lease.hold("restart") as held:  # type: ignore[union-attr]
            if not held:
                return self._record("restart", "skipped", f"another replica holds Lease {self.lease.name}")  # type: ignore[union-attr]
            await asyncio.to_thread(self._patch_restart)
            return self._record("restart", "ok", reason)

    async def reconcile(self) -> ReconcileReport:
        """One pass: compare, and if a change is due, take the Lease, compare again, make it."""
        self.require_enabled()
        first = await self._plan()
        if first.action in ("none", "wait"):
            return self._report(first, first.action)
        async with self.lease.hold(f"reconcile:{first.action}") as held:  # type: ignore[union-attr]
            if not held:
                self._record("reconcile", "skipped", f"another replica holds Lease {self.lease.name}")  # type: ignore[union-attr]
                return self._report(first, "skipped")
            fresh = await self._plan()  # what another replica did while we waited is now visible
            if fresh.action == "scale":
                await asyncio.to_thread(self._patch_replicas, fresh.desired_replicas or 0, False)
                self._record("reconcile", "ok", f"scale: {fresh.reason}")
            elif fresh.action == "restart":
                await asyncio.to_thread(self._patch_restart)
                self._record("reconcile", "ok", f"restart: {fresh.reason}")
            return self._report(fresh, fresh.action)

    # --- loop --------------------------------------------------------------------------------------
    def start_loop(self) -> bool:
        """Start reconciling every ``reconcile_seconds``, if ``[k8s] reconcile`` wants it here: ``auto``
        only inside a cluster, so a laptop whose kubeconfig names some cluster never touches it."""
        wanted = self.settings.reconcile == "on" or (
            self.settings.reconcile == "auto" and self.connection.source == "in-cluster"
        )
        if self.enabled and wanted and self._loop_task is None:
            self._loop_task = asyncio.create_task(self._run_loop(), name="k8s-reconcile")
        return self._loop_task is not None

    async def stop_loop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None

    async def _run_loop(self) -> None:
        last_error = ""
        while True:
            try:
                await self.reconcile()
                last_error = ""
            except K8sError as exc:
                if exc.message != last_error:  # the same failure every 30 s is said once
                    log.warning("reconcile: %s", exc)
                    self._record("reconcile", "error", exc.message)
                    last_error = exc.message
            await asyncio.sleep(self.settings.reconcile_seconds)

    # --- helpers -----------------------------------------------------------------------------------
    async def _plan(self) -> Plan:
        deployment, pods = await asyncio.to_thread(self._read_all)
        return plan(deployment, pods, dt.datetime.now(dt.UTC), self.settings.unready_seconds)

    def _report(self, p: Plan, action: str) -> ReconcileReport:
        self.last_report = ReconcileReport(
            at=time.time(),
            action=action,
            reason=p.reason,
            replicas=p.replicas,
            desired_replicas=p.desired_replicas,
            unhealthy=p.unhealthy,
        )
        return self.last_report

    def _record(self, action: str, outcome: str, detail: str) -> K8sAction:
        entry = K8sAction(
            id=uuid.uuid4().hex[:12],
            at=time.time(),
            action=action,
            outcome=outcome,
            detail=detail,
            holder=self.settings.pod,
        )
        self._actions.append(entry)
        if self.audit is not None:
            resource = f"deployment/{self.settings.namespace}/{self.settings.deployment}"
            self.audit.record(f"k8s:{self.settings.pod}", f"k8s.{action}", resource, outcome, detail)
        return entry

    def _apps(self):
        from kubernetes.client import AppsV1Api

        return AppsV1Api(self._client())

    def _read_deployment(self) -> "V1Deployment":
        from kubernetes.client.exceptions import ApiException

        try:
            return self._apps().read_namespaced_deployment(self.settings.deployment, self.settings.namespace)
        except ApiException as exc:
            raise from_api(exc, f"reading Deployment {self.settings.namespace}/{self.settings.deployment}") from exc
        except OSError as exc:  # urllib3 wraps refusals in its own errors, all OSError subclasses
            raise from_api(exc, "reaching the API server") from exc

    def _read_all(self) -> "tuple[V1Deployment, list[V1Pod]]":
        from kubernetes.client import CoreV1Api
        from kubernetes.client.exceptions import ApiException

        deployment = self._read_deployment()
        labels = (deployment.spec.selector.match_labels or {}) if deployment.spec.selector else {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        try:
            pods = CoreV1Api(self._client()).list_namespaced_pod(self.settings.namespace, label_selector=selector)
        except ApiException as exc:
            raise from_api(exc, f"listing pods ({selector})") from exc
        return deployment, list(pods.items)

    def _patch(self, body: dict, doing: str) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            self._apps().patch_namespaced_deployment(
                self.settings.deployment,
                self.settings.namespace,
                body,
                _content_type="application/merge-patch+json",
            )
        except ApiException as exc:
            raise from_api(exc, doing) from exc

    def _patch_replicas(self, replicas: int, remember: bool = True) -> None:
        body: dict = {"spec": {"replicas": replicas}}
        if remember:
            body["metadata"] = {"annotations": {DESIRED_REPLICAS: str(replicas)}}
        self._patch(body, f"scaling Deployment {self.settings.deployment} to {replicas}")

    def _patch_restart(self) -> None:
        stamp = dt.datetime.now(dt.UTC).isoformat()
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        self._patch(body, f"restarting Deployment {self.settings.deployment}")
