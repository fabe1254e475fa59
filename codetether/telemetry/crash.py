"""Crash reports: written only when ``telemetry.crash_reporting`` is on, announced at the next start.

A report holds the exception types, the stack as (module, function, line) and the version
and platform: no source text, no messages (they may quote prompts or file contents), no keys.
"""

import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from .._version import __version__
from ..paths import data_dir, ensure_private_dir

_NEW = ".new.json"


def reports_dir() -> Path:
    return data_dir() / "crash-reports"


def _module_of(filename: str) -> str:
    """A path reduced to its package-relative form, so home directories and user names stay out."""
    parts = Path(filename).parts
    for anchor in ("codetether", "ctcore", "site-packages", "lib"):
        if anchor in parts:
            index = len(parts) - 1 - parts[::-1].index(anchor)
            tail = parts[index:] if anchor in ("codetether", "ctcore") else parts[index + 1 :]
            return "/".join(tail)
    return Path(filename).name


def build_report(exc: BaseException) -> dict:
    chain = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        frames = [
            {"module": _module_of(f.filename), "function": f.name, "line": f.lineno}
            for f in traceback.extract_tb(current.__traceback__)
        ]
        chain.append({"type": f"{type(current).__module__}.{type(current).__qualname__}", "frames": frames})
        current = current.__cause__ or current.__context__
    return {
        "codetether": __version__,
        "python": platform.python_version(),
        "platform": f"{sys.platform}-{platform.machine()}",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "exceptions": chain,
    }


def write_report(exc: BaseException) -> Path:
    directory = ensure_private_dir(reports_dir())
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = directory / f"crash-{stamp}-{os.getpid()}{_NEW}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(build_report(exc), fh, indent=2)
    return path


def all_reports() -> list[Path]:
    directory = reports_dir()
    return sorted(directory.glob("crash-*.json")) if directory.is_dir() else []


def take_unannounced() -> list[Path]:
    """Reports not yet announced; each is renamed so it is announced once."""
    announced = []
    for path in all_reports():
        if path.name.endswith(_NEW):
            target = path.with_name(path.name[: -len(_NEW)] + ".json")
            path.replace(target)
            announced.append(target)
    return announced
