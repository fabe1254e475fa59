"""The environment variables each provider's key is read from, last in the resolution order."""

from collections.abc import Mapping

# Built-in providers and their customary variables, first match wins.
ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "moonshotai": ("MOONSHOT_API_KEY",),
    "zai": ("ZAI_API_KEY",),
    "stepfun": ("STEPFUN_API_KEY",),
    "github-copilot": ("GITHUB_COPILOT_TOKEN",),
    "bedrock": ("AWS_BEARER_TOKEN_BEDROCK",),
}

DISABLE_VAR = "CODETETHER_DISABLE_ENV_FALLBACK"


def env_var_names(provider: str) -> tuple[str, ...]:
    """Known variables for a built-in provider, else ``NAME_API_KEY`` (dashes become underscores)."""
    return ENV_VARS.get(provider, (f"{provider.upper().replace('-', '_').replace('.', '_')}_API_KEY",))


def env_fallback_enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(DISABLE_VAR, "").strip().lower() not in {"1", "true", "yes", "on"}


def lookup(provider: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """``(variable, value)`` of the first non-empty variable for ``provider``."""
    for name in env_var_names(provider):
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None
