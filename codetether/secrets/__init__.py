"""Provider credentials: Vault, then the local keystore, then environment variables; never config files.

Names are re-exported lazily (PEP 562) so that importing the light ``redaction`` module, which the CLI
does on every start, does not drag in msgspec or hvac.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

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


__getattr__ = lazy_exports(__name__, _EXPORTS)
