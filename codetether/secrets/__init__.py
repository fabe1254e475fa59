"""Provider credentials: Vault, then the local keystore, then environment variables; never config files."""

from .env import ENV_VARS, env_var_names
from .keystore import Keystore, StoredCredential
from .redact import RedactingFilter, redact, register_secret
from .resolver import SecretResolver
from .types import ProviderSecret
from .vault import VaultSecrets, VaultSettings

__all__ = [
    "ENV_VARS",
    "Keystore",
    "ProviderSecret",
    "RedactingFilter",
    "SecretResolver",
    "StoredCredential",
    "VaultSecrets",
    "VaultSettings",
    "env_var_names",
    "redact",
    "register_secret",
]
