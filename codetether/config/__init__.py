"""Configuration: schema, layered loading, project trust and editing."""

from .loader import LoadedConfig, load_config
from .schema import (
    AgentSection,
    Config,
    DefaultSection,
    ProviderSection,
    SessionSection,
    TelemetrySection,
    UISection,
    WebSearchSection,
)

__all__ = [
    "AgentSection",
    "Config",
    "DefaultSection",
    "LoadedConfig",
    "ProviderSection",
    "SessionSection",
    "TelemetrySection",
    "UISection",
    "WebSearchSection",
    "load_config",
]
