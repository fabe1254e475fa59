"""Content-addressed subtask results: an identical subtask on the same code is never run twice.

The key covers the model, the subtask's instruction and specialty, its dependencies' results and
the commit it starts from. A hit returns the answer and re-applies the patch the subtask produced.
"""

import hashlib
import os
import tempfile
from pathlib import Path

import msgspec

from ..paths import data_dir, ensure_private_dir
from .plan import Subtask


class CachedResult(msgspec.Struct, kw_only=True):
    result: str
    patch: str = ""
    steps: int = 0


class ResultCache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or data_dir() / "swarm-cache"
        self.hits = 0

    @staticmethod
    def key(model: str, subtask: Subtask, dependency_results: dict[str, str], base: str) -> str:
        material = msgspec.json.encode(
            {
                "model": model,
                "instruction": subtask.instruction,
                "specialty": subtask.specialty,
                "dependencies": sorted(dependency_results.items()),
                "base": base,
                **({"agent": subtask.agent} if subtask.agent else {}),  # old keys stay valid without one
            }
        )
        return hashlib.sha256(material).hexdigest()

    def get(self, key: str) -> CachedResult | None:
        try:
            cached = msgspec.json.decode((self.directory / f"{key}.json").read_bytes(), type=CachedResult)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        self.hits += 1
        return cached

    def put(self, key: str, value: CachedResult) -> None:
        directory = ensure_private_dir(self.directory)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".cache-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(msgspec.json.encode(value))
        os.replace(tmp, directory / f"{key}.json")
