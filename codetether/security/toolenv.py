"""The environment every process a tool starts gets: the user's, minus anything shaped like a secret.

A command the model runs can print its environment, and whatever it prints goes into the session
file and the next model request. So provider keys, ``CODETETHER_AUTH_TOKEN``, Vault tokens and
cloud credentials never reach a tool's process unless the user names them in ``[agent] pass_env``.

The policy follows Codex's ``shell_environment_policy`` default (inherit everything, drop names that
look like credentials) rather than an allowlist: an allowlist silently breaks toolchains that live in
the environment (``VIRTUAL_ENV``, ``JAVA_HOME``, proxies, ``SSL_CERT_FILE``), while a secret under an
unusual name can still be dropped by the user's shell profile or kept out with a clear rule.
"""

import fnmatch
from collections.abc import Iterable, Mapping

from ..secrets.env import ENV_VARS

__all__ = ["SECRET_PATTERNS", "is_secret_name", "pass_env_of", "passed_through", "tool_environment"]

# Case-insensitive globs over variable names. "*KEY*" also catches *_API_KEY, *_ACCESS_KEY_ID, *_PRIVATE_KEY.
SECRET_PATTERNS: tuple[str, ...] = (
    "*KEY*",
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*CREDENTIAL*",
    "VAULT_*",
    "AWS_*",
)
_PROVIDER_VARIABLES = frozenset(name for names in ENV_VARS.values() for name in names)
_FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin"


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return upper in _PROVIDER_VARIABLES or any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_PATTERNS)


def _listed(name: str, pass_env: Iterable[str]) -> bool:
    return any(name == entry or fnmatch.fnmatchcase(name, entry) for entry in pass_env)


def tool_environment(base_env: Mapping[str, str], pass_env: Iterable[str] = ()) -> dict[str, str]:
    """``base_env`` without secret-shaped names, except those ``pass_env`` lists (exact names or globs)."""
    pass_env = tuple(pass_env)
    env = {name: value for name, value in base_env.items() if not is_secret_name(name) or _listed(name, pass_env)}
    env.setdefault("PATH", _FALLBACK_PATH)  # a shell without PATH cannot find anything
    return env


def passed_through(base_env: Mapping[str, str], pass_env: Iterable[str]) -> dict[str, str]:
    """Only the variables ``pass_env`` lists (for the sandbox, whose environment starts empty)."""
    pass_env = tuple(pass_env)
    return {name: value for name, value in base_env.items() if _listed(name, pass_env)}


def pass_env_of(settings: object) -> list[str]:
    """``[agent] pass_env`` of the effective config; none when a caller runs tools without one."""
    agent = getattr(settings, "agent", None)
    return list(getattr(agent, "pass_env", None) or [])
