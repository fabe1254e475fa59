"""Reach the API server: in-cluster service account, else a kubeconfig, else a clear "disabled".

Each call builds its own ``ApiClient`` (never the library's process-wide default configuration), so
two managers in one process, or a test's fake cluster, never share credentials by accident.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import SERVICE_ACCOUNT_DIR

if TYPE_CHECKING:
    from kubernetes.client import ApiClient


@dataclass(frozen=True)
class Connection:
    """An API client and how it was found, or ``client`` None and the reason."""

    client: "ApiClient | None"
    source: str  # "in-cluster", "kubeconfig:<path>" or "disabled"
    reason: str = ""


def connect(
    environ: Mapping[str, str], home: Path | None = None, *, service_account_dir: Path = SERVICE_ACCOUNT_DIR
) -> Connection:
    """The client for the first source found. The library (0.7 s and ~65 MB to import) is loaded only
    when there is a cluster to talk to: a server outside Kubernetes never pays for it."""
    in_cluster = bool(environ.get("KUBERNETES_SERVICE_HOST"))
    path = None if in_cluster else _kubeconfig_path(environ, home)
    if not in_cluster and path is None:
        return Connection(
            None,
            "disabled",
            "no cluster: not running in a pod and no kubeconfig (set KUBECONFIG or create ~/.kube/config)",
        )
    import yaml
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    if in_cluster:
        from kubernetes.config.incluster_config import InClusterConfigLoader

        configuration = client.Configuration()
        loader = InClusterConfigLoader(
            token_filename=str(service_account_dir / "token"),
            cert_filename=str(service_account_dir / "ca.crt"),
            environ=environ,
        )
        try:
            loader.load_and_set(configuration)
        except ConfigException as exc:
            return Connection(None, "disabled", f"in-cluster configuration is unusable: {exc}")
        return Connection(client.ApiClient(configuration), "in-cluster")
    try:
        api = config.new_client_from_config(config_file=str(path))
    except (ConfigException, yaml.YAMLError, OSError, ValueError, TypeError, KeyError) as exc:
        return Connection(None, "disabled", f"kubeconfig {path} is unusable: {exc}")
    return Connection(api, f"kubeconfig:{path}")


def _kubeconfig_path(environ: Mapping[str, str], home: Path | None) -> Path | None:
    listed = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    candidates = [Path(p).expanduser() for p in listed] or [(home or Path.home()) / ".kube" / "config"]
    return next((p for p in candidates if p.is_file()), None)
