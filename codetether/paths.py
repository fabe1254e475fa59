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
    """Create ``path`` and every missing parent with mode 0700; CodeTether's data dir holds keys, tokens
    and task history. ``mkdir(parents=True, mode=...)`` applies the mode to the last directory only (its
    parents get the umask's 0755), and the XDG spec asks for 0700 on each directory an app creates.
    Directories that already exist are left as they are: they may be the user's own."""
    missing = []
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:  # another process made it between our check and now
            continue
        os.chmod(directory, 0o700)  # mkdir's mode is masked by the umask; be exact
    return path


def create_private_file(path: Path) -> Path:
    """Make sure ``path`` exists with mode 0600 (creating it, or tightening one an older version left
    0644), for files that a library opens itself, such as SQLite databases."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path
