"""Which project files the user has trusted.

A ``codetether.toml`` in a cloned repo can change models, endpoints and tools, so it applies
only after ``codetether config project trust``. Trust is pinned to the file's SHA-256: an
edit (a ``git pull``, say) makes the file untrusted again until the user looks and re-trusts.
The pin covers the project's agent files (``.codetether/agents/*.md``) too: an agent file can choose
a model, its tools and its access mode, so it is trusted, and un-trusted by an edit, with the file.
"""

import hashlib
import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path

from ..errors import ConfigError
from ..paths import PROJECT_FILE, data_dir, ensure_private_dir

AGENTS_DIR = Path(".codetether", "agents")  # a project's agent files, pinned with its codetether.toml


class TrustState(StrEnum):
    ABSENT = "absent"
    UNTRUSTED = "untrusted"
    TRUSTED = "trusted"
    CHANGED = "changed"


def _store_path() -> Path:
    return data_dir() / "trusted-projects.json"


def _read_store() -> dict[str, str]:
    path = _store_path()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the trust list {path}: {exc}", "delete it and trust your projects again"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"the trust list {path} is corrupt", "delete it and trust your projects again")
    return {str(k): str(v) for k, v in data.items()}


def _write_store(store: dict[str, str]) -> None:
    directory = ensure_private_dir(data_dir())
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".trust-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(store, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, _store_path())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def agent_files(root: Path) -> list[Path]:
    """The project's agent files, in a stable order."""
    directory = root / AGENTS_DIR
    return sorted(p for p in directory.glob("*.md") if p.is_file()) if directory.is_dir() else []


def project_digest(root: Path) -> str:
    """SHA-256 of codetether.toml, then of each agent file's name and content. Without agent files it is
    the file's own digest, so projects trusted before agent files existed stay trusted."""
    hasher = hashlib.sha256(project_file(root).read_bytes())
    for path in agent_files(root):
        hasher.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def project_file(root: Path) -> Path:
    return root / PROJECT_FILE


def state(root: Path) -> TrustState:
    """Whether the project file under ``root`` may apply."""
    path = project_file(root)
    if not path.is_file():
        return TrustState.ABSENT
    pinned = _read_store().get(str(root.resolve()))
    if pinned is None:
        return TrustState.UNTRUSTED
    return TrustState.TRUSTED if pinned == project_digest(root) else TrustState.CHANGED


def trust(root: Path) -> Path:
    """Pin the current content of the project file as trusted."""
    path = project_file(root)
    if not path.is_file():
        raise ConfigError(f"no {PROJECT_FILE} in {root}", f"create {path} first, then trust it")
    store = _read_store()
    store[str(root.resolve())] = project_digest(root)
    _write_store(store)
    return path


def untrust(root: Path) -> bool:
    """Forget the project; returns whether it was trusted before."""
    store = _read_store()
    removed = store.pop(str(root.resolve()), None) is not None
    if removed:
        _write_store(store)
    return removed
