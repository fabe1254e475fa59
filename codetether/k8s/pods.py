"""Sub-agents as Pods: create one per subtask, wait for it to end, read its log, delete it.

A pod runs ``codetether run --format json`` on its subtask's prompt in the image; the JSON document it
prints last (status, text, steps) is the sub-agent's result. Pods are labelled
``app=codetether``, ``codetether.run/role=subagent`` and ``codetether.run/subagent-id`` so they can
be listed and cleaned up, never restart, and carry resource requests and limits. Provider keys come
from the optional Secret ``codetether-providers`` (``envFrom``). A name left over from an earlier
run (409 on create) is deleted and created again, once.
"""

import asyncio
import re
from typing import TYPE_CHECKING

import msgspec

from .errors import K8sDisabled, K8sError, from_api
from .settings import K8sSettings

if TYPE_CHECKING:
    from kubernetes.client import V1Pod

    from .connect import Connection

PROVIDER_SECRET = "codetether-providers"
ROLE_LABEL = "codetether.run/role"
ID_LABEL = "codetether.run/subagent-id"
SWARM_LABEL = "codetether.run/swarm-id"
POLL_SECONDS = 1.0


class PodSpec(msgspec.Struct, kw_only=True, frozen=True):
    subagent_id: str  # unique among live pods; becomes part of the pod name
    args: list[str]  # codetether's arguments
    swarm_id: str = ""
    env: dict[str, str] = {}
    cpu_request: str = "250m"
    memory_request: str = "256Mi"
    cpu_limit: str = "1000m"
    memory_limit: str = "1Gi"


class PodOutcome(msgspec.Struct, kw_only=True):
    name: str
    phase: str  # Succeeded, Failed, or Timeout when it did not end in time
    log: str
    exit_code: int | None = None
    reason: str = ""


def pod_name(subagent_id: str) -> str:
    """A DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters."""
    clean = re.sub(r"[^a-z0-9-]+", "-", subagent_id.lower()).strip("-")
    return f"codetether-sub-{clean}"[:63].rstrip("-")


class SubagentPods:
    def __init__(self, settings: K8sSettings, connection: "Connection") -> None:
        self.settings = settings
        self.connection = connection

    def _core(self):
        from kubernetes.client import CoreV1Api

        if self.connection.client is None:
            raise K8sDisabled(f"kubernetes is disabled: {self.connection.reason}", "run in a pod or set KUBECONFIG")
        return CoreV1Api(self.connection.client)

    def manifest(self, spec: PodSpec) -> dict:
        labels = {"app": "codetether", ROLE_LABEL: "subagent", ID_LABEL: pod_name(spec.subagent_id)[15:] or "x"}
        if spec.swarm_id:
            labels[SWARM_LABEL] = spec.swarm_id
        env = {"CODETETHER_SUBAGENT_ID": spec.subagent_id, "CODETETHER_K8S_NAMESPACE": self.settings.namespace}
        env.update(spec.env)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": pod_name(spec.subagent_id), "labels": labels},
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "subagent",
                        "image": self.settings.image,
                        "args": spec.args,
                        "env": [{"name": k, "value": v} for k, v in env.items()],
                        "envFrom": [{"secretRef": {"name": PROVIDER_SECRET, "optional": True}}],
                        "resources": {
                            "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
                            "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
                        },
                    }
                ],
            },
        }

    # --- blocking calls ----------------------------------------------------------------------------
    def create(self, spec: PodSpec) -> str:
        from kubernetes.client.exceptions import ApiException

        body = self.manifest(spec)
        name = body["metadata"]["name"]
        core = self._core()
        for attempt in (1, 2):
            try:
                core.create_namespaced_pod(self.settings.namespace, body)
                return name
            except ApiException as exc:
                if exc.status != 409 or attempt == 2:
                    raise from_api(exc, f"creating pod {name}") from exc
                self.delete(name)  # left over from an earlier run with the same id
        return name

    def read(self, name: str) -> "V1Pod | None":
        from kubernetes.client.exceptions import ApiException

        try:
            return self._core().read_namespaced_pod(name, self.settings.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise from_api(exc, f"reading pod {name}") from exc

    def logs(self, name: str, tail: int | None = None) -> str:
        from kubernetes.client.exceptions import ApiException

        kwargs = {"tail_lines": tail} if tail is not None else {}
        try:
            # The raw response: the client's own decoding of a log turns it into the repr of its bytes.
            response = self._core().read_namespaced_pod_log(
                name, self.settings.namespace, _preload_content=False, **kwargs
            )
            return response.data.decode("utf-8", "replace")
        except ApiException as exc:
            raise from_api(exc, f"reading the log of pod {name}") from exc

    def delete(self, name: str) -> bool:
        from kubernetes.client.exceptions import ApiException

        try:
            self._core().delete_namespaced_pod(name, self.settings.namespace, grace_period_seconds=0)
            return True
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise from_api(exc, f"deleting pod {name}") from exc

    # --- async use ---------------------------------------------------------------------------------
    async def run(self, spec: PodSpec, timeout: float) -> PodOutcome:
        """Create the pod, wait until it ends (or ``timeout``), read its log, delete it."""
        name = await asyncio.to_thread(self.create, spec)
        try:
            phase, exit_code, reason = "Timeout", None, f"did not finish in {timeout:g}s"
            try:
                async with asyncio.timeout(timeout):
                    while True:
                        pod = await asyncio.to_thread(self.read, name)
                        if pod is None:
                            raise K8sError(f"pod {name} disappeared before it finished", "check the cluster's events")
                        current = (pod.status.phase if pod.status else None) or "Pending"
                        if current in ("Succeeded", "Failed"):
                            phase = current
                            exit_code, reason = _termination(pod)
                            break
                        await asyncio.sleep(POLL_SECONDS)
            except TimeoutError:
                pass
            log = await asyncio.to_thread(self.logs, name) if phase != "Timeout" else ""
            return PodOutcome(name=name, phase=phase, log=log, exit_code=exit_code, reason=reason)
        finally:
            await asyncio.shield(asyncio.to_thread(self.delete, name))


def _termination(pod: "V1Pod") -> tuple[int | None, str]:
    for status in (pod.status.container_statuses or []) if pod.status else []:
        terminated = status.state.terminated if status.state else None
        if terminated is not None:
            return terminated.exit_code, terminated.reason or ""
    return None, ""
