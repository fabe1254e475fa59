"""Reading and checking one config layer (a TOML file, the environment, or flags).

Each layer is checked on its own so an error names the file (or variable) it came from;
the merged result is validated once more for required fields.
"""

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec

from ..errors import ConfigError
from .schema import (
    BUILTIN_PROVIDER_KINDS,
    CREDENTIAL_KEYS,
    SCALAR_SECTIONS,
    Config,
    HookEvent,
    HookSection,
    McpServerSection,
    PermissionAction,
    ProviderSection,
    section_fields,
    valid_keys,
)

Layer = dict[str, Any]

_TOML_POSITION = re.compile(r"^(?P<what>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def read_toml(path: Path) -> Layer:
    """Parse one TOML file, turning every failure into a ConfigError that names file, line and column."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", "check the file's permissions") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.match(str(exc))
        where, what = (f"{path}:{match['line']}:{match['col']}", match["what"]) if match else (str(path), str(exc))
        raise ConfigError(
            f"{where}: invalid TOML: {what}",
            "fix that line, or move the file aside and run `codetether config --init`",
        ) from exc


def _credential_error(key: str, provider: str | None, origin: str) -> ConfigError:
    who = provider or "PROVIDER"
    return ConfigError(
        f"{origin}: `{key}` looks like a credential, and credentials never live in config files",
        f"remove it and run `codetether auth login {who}` (or use Vault or an environment variable)",
    )


def _unknown_key(key: str, origin: str) -> ConfigError:
    return ConfigError(f"{origin}: unknown key `{key}`", "valid keys: " + ", ".join(valid_keys()))


def _unwrap(hint: Any) -> tuple[Any, list[Any]]:
    """The bare type under ``Annotated`` and its metadata."""
    inner, *extras = get_args(hint) if get_origin(hint) is Annotated else (hint,)
    return inner, extras


def _expected(key: str, hint: Any) -> str:
    """What a value of this schema type must be, in words."""
    inner, extras = _unwrap(hint)
    if get_origin(inner) is Literal:
        return "one of: " + ", ".join(map(str, get_args(inner)))
    descriptions = [m.description for m in extras if isinstance(m, msgspec.Meta) and m.description]
    what = descriptions[0] if descriptions else "see `codetether config --show`"
    if get_origin(inner) is dict:
        return f"a table ({what}); set one entry with `{key}.NAME=VALUE`"
    return what


def check_value(key: str, value: Any, hint: Any, origin: str, *, from_text: bool = False) -> Any:
    """Validate (and, for text from env or flags, coerce) one value against its schema type."""
    try:
        return msgspec.convert(value, hint, strict=not from_text)
    except msgspec.ValidationError as exc:
        got = repr(value) if from_text else f"{type(value).__name__} {value!r}"
        message = str(exc).split(" - at ")[0]
        raise ConfigError(f"{origin}: `{key}` = {got}: {message}", f"expected {_expected(key, hint)}") from exc


def check_layer(data: Mapping[str, Any], origin: str) -> Layer:
    """Check keys and types of one layer; returns it unchanged when it fits the schema."""
    for name, value in data.items():
        if name in SCALAR_SECTIONS:
            _check_section(name, value, SCALAR_SECTIONS[name], origin, provider=None)
        elif name == "providers":
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: `providers` must be a table of [providers.NAME] sections")
            for provider, table in value.items():
                _check_section(f"providers.{provider}", table, ProviderSection, origin, provider=provider)
        elif name == "permissions":
            _check_permissions(value, origin)
        elif name == "hooks":
            _check_hooks(value, origin)
        elif name == "mcp":
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: `mcp` must be a table of [mcp.NAME] sections", "see docs/mcp.md")
            for server, table in value.items():
                _check_section(f"mcp.{server}", table, McpServerSection, origin, provider=None)
        elif name in CREDENTIAL_KEYS:
            raise _credential_error(name, None, origin)
        else:
            raise _unknown_key(name, origin)
    return dict(data)


def _check_permissions(value: Any, origin: str) -> None:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(
            f"{origin}: `permissions` must hold tables like [permissions.bash]",
            'for example: [permissions.bash] "git status*" = "allow"',
        )
    for tool, rules in value.items():
        for pattern, action in rules.items():
            check_value(f"permissions.{tool}.{pattern}", action, PermissionAction, origin)


def _check_hooks(value: Any, origin: str) -> None:
    events = get_args(HookEvent)
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: `hooks` must hold lists like [[hooks.pre_tool]]", "see docs/hooks.md")
    for event, entries in value.items():
        if event not in events:
            raise ConfigError(f"{origin}: unknown hook event `hooks.{event}`", "events: " + ", ".join(events))
        check_value(f"hooks.{event}", entries, list[HookSection], origin)


def _check_section(prefix: str, table: Any, section: type, origin: str, provider: str | None) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: `{prefix}` must be a table ([{prefix}]), got {type(table).__name__}")
    fields = section_fields(section)
    for key, value in table.items():
        dotted = f"{prefix}.{key}"
        if key in CREDENTIAL_KEYS:
            raise _credential_error(dotted, provider, origin)
        if key not in fields:
            raise _unknown_key(dotted, origin)
        check_value(dotted, value, fields[key], origin)


def merge(base: Layer, top: Layer) -> Layer:
    """Deep-merge ``top`` over ``base`` (tables merge key by key; anything else is replaced)."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def set_dotted(layer: Layer, key: str, value: Any) -> None:
    """Set ``a.b.c`` inside nested dicts, creating tables on the way."""
    parts = key.split(".")
    node = layer
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _entry_type(hint: Any, names: list[str]) -> Any:
    """The type of ``field.NAME`` inside a map-valued field (``plugins.trusted_keys.acme``), or None."""
    for name in names:
        inner, _ = _unwrap(hint)
        if get_origin(inner) is not dict or not name:
            return None
        hint = get_args(inner)[1]
    return hint


def resolve_key(key: str) -> tuple[Any, str | None]:
    """Schema type of a dotted key (and its provider name), or ConfigError listing valid keys.

    A map-valued field takes one entry per key (``plugins.trusted_keys.NAME``, ``providers.P.headers.H``)
    as well as a whole inline table, so every setting a file can hold can also be set from the command line.
    """
    parts = key.split(".")
    fields: dict[str, Any] = {}
    provider: str | None = None
    if len(parts) >= 2 and parts[0] in SCALAR_SECTIONS:
        fields, rest = section_fields(SCALAR_SECTIONS[parts[0]]), parts[1:]
    elif len(parts) >= 3 and parts[0] == "permissions" and parts[1]:
        return PermissionAction, None
    elif len(parts) >= 3 and parts[0] == "providers" and parts[1]:
        if parts[2] in CREDENTIAL_KEYS:
            raise _credential_error(key, parts[1], "config")
        fields, rest, provider = section_fields(ProviderSection), parts[2:], parts[1]
    if fields and rest[0] in fields:
        hint = _entry_type(fields[rest[0]], rest[1:])
        if hint is not None:
            return hint, provider
    if parts[-1] in CREDENTIAL_KEYS:
        raise _credential_error(key, None, "config")
    raise _unknown_key(key, "config")


def env_layer(environ: Mapping[str, str] | None = None) -> Layer:
    """``CODETETHER_<SECTION>_<KEY>`` for every scalar key, e.g. ``CODETETHER_DEFAULT_MODEL``."""
    env = os.environ if environ is None else environ
    layer: Layer = {}
    for section_name, section in SCALAR_SECTIONS.items():
        for field, hint in section_fields(section).items():
            var = f"CODETETHER_{section_name}_{field}".upper()
            if var in env:
                key = f"{section_name}.{field}"
                set_dotted(layer, key, check_value(key, env[var], hint, f"environment variable {var}", from_text=True))
    return layer


def flag_layer(overrides: Mapping[str, str]) -> Layer:
    """Command-line overrides given as dotted keys with text values."""
    layer: Layer = {}
    for key, text in overrides.items():
        hint, _ = resolve_key(key)
        set_dotted(layer, key, check_value(key, text, hint, "command line", from_text=True))
    return layer


def build(merged: Layer) -> Config:
    """Validate the merged layers into a Config (catches what no single layer can: missing ``kind``)."""
    for name, table in merged.get("providers", {}).items():
        if "kind" not in table and name not in BUILTIN_PROVIDER_KINDS:
            raise ConfigError(
                f"`[providers.{name}]` has no `kind`",
                "add kind = one of openai, anthropic, google, bedrock, llama-cpp",
            )
    try:
        return msgspec.convert(merged, Config)
    except msgspec.ValidationError as exc:  # every layer was checked already; this is a safety net
        raise ConfigError(f"invalid configuration: {exc}", "fix the file that sets it") from exc
