"""Where CodeTether keeps its files (XDG base directories, overridable for tests and containers)."""

import os
from pathlib import Path

APP_DIR = "codetether-agent"
PROJECT_FILE = "codetether.toml"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    # The XDG spec says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/codetether-agent`` (default ``~/.config/codetether-agent``)."""
    return _xdg("XDG_CONFIG_HOME", ".config") / APP_DIR


def user_config_file() -> Path:
    """The user config file; ``CODETETHER_CONFIG`` names another file instead."""
    override = os.environ.get("CODETETHER_CONFIG")
    if override:
        return Path(override).expanduser()
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """``CODETETHER_DATA_DIR``, else ``$XDG_DATA_HOME/codetether-agent`` (default ``~/.local/share/...``)."""
    override = os.environ.get("CODETETHER_DATA_DIR")
    if override:
        return Path(override).expanduser()
    return _xdg("XDG_DATA_HOME", ".local/share") / APP_DIR


def project_root(start: Path | None = None) -> Path:
    """The enclosing git work tree's root, or ``start`` itself when it is not inside one."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if needed; CodeTether's data dir holds keys and tokens."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
