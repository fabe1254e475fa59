"""The effective config as commented TOML for people: where each value came from, secrets masked."""

from typing import Any

import msgspec
import tomlkit

from ..secrets.redaction import MASK, redact
from .loader import LoadedConfig

_SENSITIVE_HEADER_WORDS = ("authorization", "key", "token", "secret", "cookie", "password", "signature")


def _mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: MASK if any(word in name.lower() for word in _SENSITIVE_HEADER_WORDS) else value
        for name, value in headers.items()
    }


def _table(values: dict[str, Any], origins: dict[str, str], prefix: str) -> Any:
    table = tomlkit.table()
    for key, value in values.items():
        if value is None:
            continue
        if key == "headers":
            value = _mask_headers(value)
        item = tomlkit.item(value)
        origin = origins.get(f"{prefix}{key}")
        if origin:
            item.comment(f"from {origin}")
        table.add(key, item)
    return table


def render_toml(loaded: LoadedConfig) -> str:
    data = msgspec.to_builtins(loaded.config)
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"user file: {loaded.user_file}{'' if loaded.user_file.exists() else ' (not created)'}"))
    if loaded.project_file is not None:
        doc.add(tomlkit.comment(f"project file: {loaded.project_file} ({loaded.project_state.value})"))
    doc.add(tomlkit.comment("values without a 'from' comment are built-in defaults"))
    for section, values in data.items():
        if section == "providers":
            continue
        doc.add(section, _table(values, loaded.origins, f"{section}."))
    if data["providers"]:
        providers = tomlkit.table(is_super_table=True)
        for name, values in data["providers"].items():
            providers.add(name, _table(values, loaded.origins, f"providers.{name}."))
        doc.add("providers", providers)
    return redact(tomlkit.dumps(doc))


def render_json(loaded: LoadedConfig) -> str:
    data = msgspec.to_builtins(loaded.config)
    for provider in data["providers"].values():
        provider["headers"] = _mask_headers(provider["headers"])
    return redact(msgspec.json.format(msgspec.json.encode(data), indent=2).decode())
