"""Resolution order for a provider's credential: Vault, then the keystore, then the environment."""

import os
from collections.abc import Mapping

from .env import env_fallback_enabled, env_var_names, lookup
from .keystore import Keystore
from .redaction import register_secret
from .types import ProviderSecret
from .vault import VaultSecrets, VaultSettings


class SecretResolver:
    """Finds each provider's credential and registers it for redaction before handing it out."""

    def __init__(
        self,
        *,
        vault: VaultSecrets | None = None,
        keystore: Keystore | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.vault = vault
        self.keystore = keystore or Keystore()
        self.environ = os.environ if environ is None else environ

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "SecretResolver":
        env = os.environ if environ is None else environ
        settings = VaultSettings.from_env(env)
        return cls(vault=VaultSecrets(settings) if settings else None, environ=env)

    @property
    def env_enabled(self) -> bool:
        return env_fallback_enabled(self.environ)

    def resolve(self, provider: str) -> ProviderSecret | None:
        """The first source that has a credential for ``provider``, or None."""
        secret = self._from_vault(provider) or self._from_keystore(provider) or self._from_env(provider)
        if secret is not None:
            register_secret(secret.api_key)
            for value in secret.headers.values():
                register_secret(value)
        return secret

    def _from_vault(self, provider: str) -> ProviderSecret | None:
        if self.vault is None:
            return None
        data = self.vault.read(provider)
        if not data:
            return None
        headers = data.get("headers") or {}
        return ProviderSecret(
            api_key=_text(data.get("api_key")),
            base_url=_text(data.get("base_url")),
            organization=_text(data.get("organization")),
            headers={str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {},
            source="vault",
            origin=self.vault.location(provider),
        )

    def _from_keystore(self, provider: str) -> ProviderSecret | None:
        stored = self.keystore.get(provider)
        if stored is None:
            return None
        return ProviderSecret(
            api_key=stored.api_key,
            base_url=stored.base_url,
            organization=stored.organization,
            headers=dict(stored.headers),
            source="keystore",
            origin=f"keystore {self.keystore.path}",
        )

    def _from_env(self, provider: str) -> ProviderSecret | None:
        if not self.env_enabled:
            return None
        found = lookup(provider, self.environ)
        if found is None:
            return None
        name, value = found
        return ProviderSecret(api_key=value, source="env", origin=f"environment variable {name}")

    def env_hint(self, provider: str) -> str:
        """Where a user can put the key for ``provider``, for 'no credential' errors."""
        names = " or ".join(env_var_names(provider))
        env = f", or export {names}" if self.env_enabled else ""
        return f"run `codetether auth login {provider}`{env}"


def _text(value: object) -> str | None:
    return None if value is None else str(value)
