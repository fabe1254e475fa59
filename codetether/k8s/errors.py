"""Kubernetes failures as CodetetherErrors, with the API server's own message and status."""

import contextlib

from ..errors import CodetetherError


class K8sError(CodetetherError):
    """A call to the API server failed; ``status`` is its HTTP status (0: it could not be reached)."""

    def __init__(self, message: str, hint: str | None = None, *, status: int = 0) -> None:
        super().__init__(message, hint)
        self.status = status


class K8sDisabled(K8sError):
    """No cluster is configured; the message says why."""


class K8sInvalid(K8sError):
    """The request itself is wrong (a negative replica count): nothing was sent to the cluster."""


def from_api(exc: Exception, doing: str) -> K8sError:
    """``ApiException``/urllib3 errors → K8sError naming what was being done and what the server said."""
    import json

    status = int(getattr(exc, "status", 0) or 0)
    message = getattr(exc, "reason", "") or str(exc)
    body = getattr(exc, "body", None)
    if body:
        with contextlib.suppress(ValueError, AttributeError):
            message = json.loads(body).get("message") or message
    hint = {
        401: "the cluster credentials were refused",
        403: "grant the service account the Role from `codetether k8s manifests`",
        404: "check [k8s] namespace and deployment_name",
    }.get(status, "check the cluster and try again")
    label = f"HTTP {status}" if status else "unreachable"
    return K8sError(f"kubernetes: {doing} failed ({label}): {message}", hint, status=status)
