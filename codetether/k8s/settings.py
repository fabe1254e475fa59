"""Where this replica sits in the cluster, resolved once from ``[k8s]`` and the pod's environment.

``[k8s]`` keys come from the config layers (``CODETETHER_K8S_NAMESPACE`` and friends). The names the
original documented, ``CODETETHER_DEPLOYMENT_NAME`` and ``CODETETHER_POD_NAME``, and the pod's own
``HOSTNAME`` fill what the config leaves at its default; the namespace falls back to the service
account's namespace file, as a pod sees it.
"""

from collections.abc import Mapping
from pathlib import Path

import msgspec

from ..config.schema import K8sSection

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class K8sSettings(msgspec.Struct, kw_only=True, frozen=True):
    namespace: str
    deployment: str
    pod: str  # this replica's identity: the Lease holder name
    lease_seconds: int
    reconcile: str  # auto (only in a cluster), on, off
    reconcile_seconds: float
    unready_seconds: float
    image: str

    @classmethod
    def resolve(
        cls,
        section: K8sSection,
        environ: Mapping[str, str],
        *,
        service_account_dir: Path = SERVICE_ACCOUNT_DIR,
    ) -> "K8sSettings":
        namespace = section.namespace or _read(service_account_dir / "namespace") or "default"
        deployment = section.deployment_name
        if deployment == K8sSection().deployment_name:
            deployment = environ.get("CODETETHER_DEPLOYMENT_NAME") or deployment
        pod = section.pod_name or environ.get("CODETETHER_POD_NAME") or environ.get("HOSTNAME") or "codetether-local"
        return cls(
            namespace=namespace,
            deployment=deployment,
            pod=pod,
            lease_seconds=section.lease_seconds,
            reconcile=section.reconcile,
            reconcile_seconds=section.reconcile_seconds,
            unready_seconds=section.unready_seconds,
            image=section.image,
        )


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
