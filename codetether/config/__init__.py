"""Configuration: schema, layered loading, project trust and editing."""

from .loader import LoadedConfig, load_config
from .schema import Config, DefaultSection, ProviderSection, SessionSection, TelemetrySection, UISection

__all__ = [
    "Config",
    "DefaultSection",
    "LoadedConfig",
    "ProviderSection",
    "SessionSection",
    "TelemetrySection",
    "UISection",
    "load_config",
]
