"""Provider credentials: Vault, then the local keystore, then environment variables; never config files.

Names are re-exported lazily (PEP 562) so that importing the light ``redaction`` module, which the CLI
does on every start, does not drag in msgspec or hvac.
"""

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ENV_VARS": ".env",
    "env_var_names": ".env",
    "Keystore": ".keystore",
    "StoredCredential": ".keystore",
    "RedactingFilter": ".redaction",
    "redact": ".redaction",
    "register_secret": ".redaction",
    "SecretResolver": ".resolver",
    "ProviderSecret": ".types",
    "VaultSecrets": ".vault",
    "VaultSettings": ".vault",
}

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

if TYPE_CHECKING:
    from .env import ENV_VARS, env_var_names
    from .keystore import Keystore, StoredCredential
    from .redaction import RedactingFilter, redact, register_secret
    from .resolver import SecretResolver
    from .types import ProviderSecret
    from .vault import VaultSecrets, VaultSettings


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value
