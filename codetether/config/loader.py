"""Builds the effective configuration from its layers and remembers where each value came from."""

from collections.abc import Mapping
from pathlib import Path

import msgspec

from ..errors import ConfigError
from ..paths import project_root, user_config_file
from . import layers, trust
from .schema import Config


class LoadedConfig(msgspec.Struct, kw_only=True):
    """The effective config plus what the user needs to understand it."""

    config: Config
    user_file: Path
    project_file: Path | None
    project_state: trust.TrustState
    origins: dict[str, str]


def _record(origins: dict[str, str], layer: layers.Layer, origin: str, prefix: str = "") -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and key != "headers":
            _record(origins, value, origin, f"{dotted}.")
        else:
            origins[dotted] = origin


def _file_layer(path: Path) -> layers.Layer:
    """One TOML file as a checked layer. tomllib recurses once per nesting level, so a file nested a few
    hundred levels deep would raise RecursionError (an internal error, exit 70) instead of a ConfigError."""
    try:
        return layers.check_layer(layers.read_toml(path), str(path))
    except RecursionError:
        raise ConfigError(
            f"{path}: invalid TOML: tables or arrays nested too deeply to read",
            "no CodeTether setting nests more than a few levels; fix or move the file aside",
        ) from None


def load_config(
    cwd: Path | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """defaults < user file < trusted project file < environment < flags."""
    user_file = user_config_file()
    root = project_root(cwd)
    project_state = trust.state(root)
    stack: list[tuple[str, layers.Layer]] = [(str(user_file), _file_layer(user_file))]
    project_file = trust.project_file(root)
    if project_state is trust.TrustState.TRUSTED:
        stack.append((str(project_file), _file_layer(project_file)))
    stack.append(("environment", layers.env_layer(environ)))
    stack.append(("command line", layers.flag_layer(overrides or {})))

    merged: layers.Layer = {}
    origins: dict[str, str] = {}
    hooks: dict[str, list] = {}  # every layer's hooks run: a project adds to the user's, never replaces them
    for origin, layer in stack:
        merged = layers.merge(merged, layer)
        _record(origins, layer, origin)
        for event, entries in layer.get("hooks", {}).items():
            hooks.setdefault(event, []).extend(entries)
    if hooks:
        merged["hooks"] = hooks
    return LoadedConfig(
        config=layers.build(merged),
        user_file=user_file,
        project_file=project_file if project_state is not trust.TrustState.ABSENT else None,
        project_state=project_state,
        origins=origins,
    )
