"""Provider credentials from HashiCorp Vault (KV v2), first in the resolution order.

Settings come from the environment, as Vault's own tools read them: ``VAULT_ADDR`` plus
either ``VAULT_TOKEN`` or ``VAULT_ROLE`` (Kubernetes auth with the pod's service-account
token). Every request has a timeout, so a Vault that is down fails fast with its address.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from ..errors import VaultError
from .redaction import register_secret

DEFAULT_K8S_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


class VaultSettings(msgspec.Struct, kw_only=True):
    addr: str
    token: str | None = None
    role: str | None = None
    mount: str = "secret"
    prefix: str = "codetether/providers"
    k8s_auth_mount: str = "kubernetes"
    k8s_token_path: str = DEFAULT_K8S_TOKEN
    timeout: float = 5.0

    def __repr__(self) -> str:
        return f"VaultSettings(addr={self.addr!r}, role={self.role!r}, mount={self.mount!r}, prefix={self.prefix!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "VaultSettings | None":
        """None when ``VAULT_ADDR`` is not set (Vault is simply not in use)."""
        env = os.environ if environ is None else environ
        addr = env.get("VAULT_ADDR", "").strip()
        if not addr:
            return None
        try:
            timeout = float(env.get("VAULT_TIMEOUT", "5"))
        except ValueError as exc:
            raise VaultError(f"VAULT_TIMEOUT={env['VAULT_TIMEOUT']!r} is not a number of seconds") from exc
        return cls(
            addr=addr.rstrip("/"),
            token=env.get("VAULT_TOKEN") or None,
            role=env.get("VAULT_ROLE") or None,
            mount=env.get("VAULT_MOUNT") or "secret",
            prefix=(env.get("VAULT_SECRETS_PATH") or "codetether/providers").strip("/"),
            k8s_auth_mount=env.get("VAULT_K8S_AUTH_MOUNT") or "kubernetes",
            k8s_token_path=env.get("VAULT_K8S_TOKEN_PATH") or DEFAULT_K8S_TOKEN,
            timeout=timeout,
        )


class VaultSecrets:
    """Reads ``<mount>/data/<prefix>/<provider>``; re-logs in once when a token is refused (403)."""

    def __init__(self, settings: VaultSettings) -> None:
        if not settings.token and not settings.role:
            raise VaultError(
                f"VAULT_ADDR={settings.addr} is set but neither VAULT_TOKEN nor VAULT_ROLE is",
                "set VAULT_TOKEN, or VAULT_ROLE for Kubernetes auth, or unset VAULT_ADDR",
            )
        self.settings = settings
        self._client: Any = None
        register_secret(settings.token)

    def location(self, provider: str) -> str:
        return f"vault {self.settings.mount}/{self.settings.prefix}/{provider}"

    def _unreachable(self, exc: Exception) -> VaultError:
        return VaultError(
            f"cannot reach Vault at VAULT_ADDR={self.settings.addr} ({type(exc).__name__})",
            "check that Vault is running and VAULT_ADDR is right, or unset VAULT_ADDR to skip Vault",
        )

    def _login(self) -> None:
        import hvac

        s = self.settings
        client = hvac.Client(url=s.addr, token=s.token, timeout=s.timeout)
        if s.role:
            try:
                jwt = Path(s.k8s_token_path).read_text("utf-8").strip()
            except OSError as exc:
                raise VaultError(
                    f"VAULT_ROLE={s.role} needs a service-account token, but {s.k8s_token_path} is unreadable",
                    "run inside Kubernetes or set VAULT_K8S_TOKEN_PATH",
                ) from exc
            import hvac.exceptions as vexc

            try:
                self._call(lambda: client.auth.kubernetes.login(role=s.role, jwt=jwt, mount_point=s.k8s_auth_mount))
            except vexc.Forbidden as exc:
                raise VaultError(
                    f"Vault at {s.addr} refused Kubernetes login for role {s.role} ({exc})",
                    "check VAULT_ROLE and the role's bound service accounts and namespaces",
                ) from exc
            register_secret(client.token)
        self._client = client

    def _call(self, request: Any) -> Any:
        import hvac.exceptions as vexc
        import requests

        try:
            return request()
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise self._unreachable(exc) from exc
        except vexc.VaultDown as exc:
            raise VaultError(
                f"Vault at VAULT_ADDR={self.settings.addr} is sealed or unavailable",
                "unseal it (`vault operator unseal`) or unset VAULT_ADDR to skip Vault",
            ) from exc
        except vexc.Forbidden:
            raise  # the caller decides: log in again, or explain the refusal
        except vexc.VaultError as exc:
            raise VaultError(
                f"Vault at VAULT_ADDR={self.settings.addr} rejected the request: {exc}",
                "check the request in Vault's audit log, or unset VAULT_ADDR to skip Vault",
            ) from exc

    def _with_relogin(self, request: Any) -> Any:
        import hvac.exceptions as vexc

        if self._client is None:
            self._login()
        try:
            return self._call(lambda: request(self._client))
        except vexc.Forbidden as exc:
            if not self.settings.role:
                raise VaultError(
                    f"Vault at {self.settings.addr} refused VAULT_TOKEN (403: expired, revoked or missing policy)",
                    "get a fresh token (`vault login`) and export VAULT_TOKEN again",
                ) from exc
        # The Kubernetes-auth token expired or was revoked: log in again, once.
        self._login()
        try:
            return self._call(lambda: request(self._client))
        except vexc.Forbidden as exc:
            raise VaultError(
                f"Vault at {self.settings.addr} denies role {self.settings.role} access to "
                f"{self.settings.mount}/{self.settings.prefix}",
                "grant the role's policy read on that path",
            ) from exc

    def read(self, provider: str) -> dict[str, Any] | None:
        """The secret's fields, or None when no secret exists for ``provider``."""
        import hvac.exceptions as vexc

        path = f"{self.settings.prefix}/{provider}"

        def request(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.read_secret_version(
                    path=path, mount_point=self.settings.mount, raise_on_deleted_version=True
                )
            except vexc.InvalidPath:
                return None

        response = self._with_relogin(request)
        if response is None:
            return None
        data = response.get("data", {}).get("data") or {}
        if not isinstance(data, dict):
            raise VaultError(f"{self.location(provider)} does not hold a key/value secret")
        return data

    def providers(self) -> list[str]:
        """Providers that have a secret under the prefix (LIST on the metadata path)."""
        import hvac.exceptions as vexc

        def request(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.list_secrets(path=self.settings.prefix, mount_point=self.settings.mount)
            except vexc.InvalidPath:
                return None

        response = self._with_relogin(request)
        keys = (response or {}).get("data", {}).get("keys", [])
        return sorted(k for k in keys if not k.endswith("/"))

    def health(self) -> str:
        """``active``, ``standby``, ``sealed``, ``uninitialized`` or ``unreachable`` (GET /v1/sys/health)."""
        import hvac
        import requests

        client = hvac.Client(url=self.settings.addr, timeout=self.settings.timeout)
        try:
            status = client.sys.read_health_status(method="GET")
        except (requests.ConnectionError, requests.Timeout):
            return "unreachable"
        code = getattr(status, "status_code", 200)
        try:
            body = status.json() if hasattr(status, "json") else status
        except ValueError:
            return "unreachable"
        if body.get("sealed"):
            return "sealed"
        if not body.get("initialized", True):
            return "uninitialized"
        return "standby" if body.get("standby") or code == 429 else "active"
