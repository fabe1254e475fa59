"""What `codetether k8s manifests` prints: everything a cluster needs to run CodeTether.

Server Deployment (with the pod identity, namespace and token the k8s manager reads), Service,
ServiceAccount + Role + RoleBinding granting exactly the calls the manager and sub-agent pods make,
a PodDisruptionBudget, and the worker Deployment. Several server replicas need the shared store, so
``replicas > 1`` requires ``postgres_url``; the URL goes into a Secret, never into the pod spec. The
bearer token is a Secret the user creates once (`kubectl create secret generic codetether-auth ...`),
so re-applying the manifests never rotates it.
"""

from typing import Any

from ..errors import UsageError

HTTP_PORT = 4096
GRPC_PORT = 50051
AUTH_SECRET = "codetether-auth"
STORE_SECRET = "codetether-store"

Manifest = dict[str, Any]


def _meta(name: str, namespace: str, component: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/name": "codetether", "app.kubernetes.io/component": component},
    }


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def build_manifests(
    *,
    name: str = "codetether",
    namespace: str = "default",
    image: str,
    replicas: int = 1,
    workers: int = 1,
    postgres_url: str = "",
) -> list[Manifest]:
    if replicas < 1:
        raise UsageError(f"--replicas must be 1 or more, not {replicas}")
    if workers < 0:
        raise UsageError(f"--workers must be 0 or more, not {workers}")
    if replicas > 1 and not postgres_url:
        raise UsageError(
            f"{replicas} replicas need a shared task store",
            "pass --postgres postgresql://USER:PASSWORD@HOST/DB (one replica can keep the embedded SQLite)",
        )
    if postgres_url and not postgres_url.startswith(("postgresql://", "postgres://")):
        raise UsageError("--postgres must be a postgresql:// URL", "e.g. postgresql://codetether:PW@db:5432/codetether")
    labels = {"app.kubernetes.io/name": "codetether", "app.kubernetes.io/component": "server"}
    docs: list[Manifest] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(name, namespace, "server")},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(name, namespace, "server"),
            "rules": [
                {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "patch"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "create", "delete"]},
                {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(name, namespace, "server"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
    ]
    env = [
        _field_env("CODETETHER_K8S_NAMESPACE", "metadata.namespace"),
        _field_env("CODETETHER_POD_NAME", "metadata.name"),
        {"name": "CODETETHER_DEPLOYMENT_NAME", "value": name},
        _secret_env("CODETETHER_AUTH_TOKEN", AUTH_SECRET, "token"),
    ]
    if postgres_url:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": _meta(STORE_SECRET, namespace, "server"),
                "type": "Opaque",
                "stringData": {"url": postgres_url},
            }
        )
        env.append(_secret_env("CODETETHER_STORE_URL", STORE_SECRET, "url"))
    probe = {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10}
    docs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, namespace, "server"),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": name,
                        "containers": [
                            {
                                "name": "codetether",
                                "image": image,
                                "args": ["serve", "--host", "0.0.0.0", "--port", str(HTTP_PORT)],
                                "ports": [
                                    {"name": "http", "containerPort": HTTP_PORT},
                                    {"name": "grpc", "containerPort": GRPC_PORT},
                                ],
                                "env": env,
                                "readinessProbe": {**probe, "initialDelaySeconds": 2},
                                "livenessProbe": {**probe, "initialDelaySeconds": 15, "failureThreshold": 6},
                                "resources": _resources("250m", "256Mi", "2", "2Gi"),
                            }
                        ],
                    },
                },
            },
        }
    )
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(name, namespace, "server"),
            "spec": {
                "selector": labels,
                "ports": [
                    {"name": "http", "port": HTTP_PORT, "targetPort": "http"},
                    {"name": "grpc", "port": GRPC_PORT, "targetPort": "grpc"},
                ],
            },
        }
    )
    docs.append(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(name, namespace, "server"),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
        }
    )
    worker_labels = {"app.kubernetes.io/name": "codetether", "app.kubernetes.io/component": "worker"}
    docs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(f"{name}-worker", namespace, "worker"),
            "spec": {
                "replicas": workers,
                "selector": {"matchLabels": worker_labels},
                "template": {
                    "metadata": {"labels": worker_labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "worker",
                                "image": image,
                                "args": ["worker", "--server", f"http://{name}:{HTTP_PORT}"],
                                "env": [_secret_env("CODETETHER_AUTH_TOKEN", AUTH_SECRET, "token")],
                                "resources": _resources("250m", "256Mi", "2", "2Gi"),
                            }
                        ],
                    },
                },
            },
        }
    )
    return docs
