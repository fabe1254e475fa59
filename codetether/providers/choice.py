"""Which model a run gets when it names none, and what the person is told about that choice.

The runtime asks once per process: ``[default]`` from the config, unless nothing was configured
anywhere, in which case a local OpenAI-compatible server (Ollama, llama-server, LM Studio, vLLM) is
preferred over the embedded 270M demonstration model, and the person is told which one runs and how
to pick a capable one.
"""

import importlib.util
from collections.abc import Callable

from ..config.loader import LoadedConfig
from ..config.schema import Config, ProviderSection
from ..errors import CodetetherError
from .catalog import lookup
from .registry import known_providers

DEFAULT_CONTEXT_WINDOW = 128_000


def unconfigured(loaded: LoadedConfig) -> bool:
    """No default provider or model was chosen anywhere (file, environment or flag)."""
    return not {"default.provider", "default.model"} & set(loaded.origins)


def configured_default(loaded: LoadedConfig) -> str:
    """``provider/model`` from ``[default]``. A model that names its provider (``moonshotai/kimi-k2.5``,
    as the seed documents ``CODETETHER_DEFAULT_MODEL``) wins over the built-in default provider, but
    not over a provider the user chose."""
    config = loaded.config
    default = config.default
    head = default.model.partition("/")[0]
    if head in known_providers(config) and "default.provider" not in loaded.origins:
        return default.model
    return f"{default.provider}/{default.model}"


def context_window(config: Config, label: str) -> int:
    """Tokens the model can take: config override, else the catalog, else a safe default."""
    provider, _, model = label.partition("/")
    info = lookup(provider, model)
    return config.agent.context_window or (info.context if info and info.context else DEFAULT_CONTEXT_WINDOW)


def discover_local(loaded: LoadedConfig, notice: Callable[[str], None]) -> str | None:
    """``name/model`` of a local OpenAI-compatible server when nothing is configured (probed now).

    The server joins the effective config as ``[providers.NAME]`` (kind openai, its loopback URL),
    so sub-agents and ``--model NAME/other`` reach it like any configured provider.
    """
    config = loaded.config
    if not (config.discovery.enabled and config.default.provider == "llama-cpp" and unconfigured(loaded)):
        return None
    from .discovery import discover

    server = discover(config.discovery.servers, config.discovery.timeout)
    if server is None:
        return None
    name = server.name
    section = config.providers.get(name)
    if section is not None and section.base_url != server.base_url:
        name = f"{name}-local"  # the user's own [providers.NAME] points elsewhere: leave it alone
    config.providers.setdefault(name, ProviderSection(kind="openai", base_url=server.base_url, models=server.models))
    notice(
        f"no provider configured: using the local {server.label} server at {server.url}, model {server.model} "
        f"(pass --model {name}/MODEL for another of its {len(server.models)} models)"
    )
    return f"{name}/{server.model}"


def explain_embedded_model(model: str, notice: Callable[[str], None]) -> None:
    """Nothing is configured and no local server was found: the embedded model runs, if installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise CodetetherError(
            "no provider is configured and the embedded local model is not installed",
            "pip install 'codetether[local]', or add a key (`codetether auth login openai`) and pass "
            "--model openai/gpt-5",
        )
    notice(
        f"no provider configured: using the embedded local model {model}, a 270M demonstration model that makes "
        "simple tool calls but cannot do real work; for a capable one add a key (`codetether auth login openai`) "
        "and pass --model openai/gpt-5, pass --model llama-cpp//path/to/model.gguf, or start a local server "
        "(Ollama, llama-server, LM Studio or vLLM) and run again"
    )
