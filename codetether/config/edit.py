"""Changing the user config file without losing its comments (``config --init`` / ``--set``)."""

import os
import tempfile
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import tomlkit

from ..errors import ConfigError
from . import layers


def template() -> str:
    """The commented default file, read as package data so it also works from a zipapp."""
    return resources.files("codetether.config").joinpath("default.toml").read_text("utf-8")


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def init_file(path: Path) -> Path:
    """Write the commented default config; refuses to overwrite an existing file."""
    if path.exists():
        raise ConfigError(f"{path} already exists; not overwriting it", "edit it, or use `codetether config --set`")
    write_atomically(path, template())
    return path


def parse_value(text: str) -> Any:
    """A TOML literal (``true``, ``3``, ``["a", "b"]``) when it parses as one, else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_values(path: Path, assignments: list[str]) -> list[tuple[str, Any]]:
    """Apply ``key=value`` assignments to ``path``, validated against the schema, all or nothing."""
    document = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    applied: list[tuple[str, Any]] = []
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"`{assignment}` is not key=value", "for example: --set ui.theme=dark")
        hint, _ = layers.resolve_key(key)
        raw = raw.strip()
        try:
            value = layers.check_value(key, parse_value(raw), hint, "--set", from_text=True)
        except ConfigError:
            # `default.model=3` means the text "3": retry with the raw text before giving up.
            value = layers.check_value(key, raw, hint, "--set", from_text=True)
        node: Any = document
        parts = key.split(".")
        for part in parts[:-1]:
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        node[parts[-1]] = value
        applied.append((key, value))
    text = tomlkit.dumps(document)
    # The whole file must still make a valid config (e.g. a new provider needs its `kind`).
    layers.build(layers.check_layer(tomllib.loads(text), str(path)))
    write_atomically(path, text)
    return applied
