"""Whether the agent still holds a file's current content, before it edits or overwrites the file.

A modification time alone misses real changes: a rewrite within the file system's timestamp
granularity, or one that restores the old time (``git checkout``, ``cp -p``, ``rsync -t``). So a
stamp is (mtime, size, content hash), and a file is fresh when its size and hash still match what
the agent saw. A changed mtime with identical content (``touch``) is still fresh, as in Claude Code:
what the agent reasons about is the content. Files over ``HASH_LIMIT`` are not hashed (hashing runs
at about 0.5 GB/s, and reading five lines of a log must not cost seconds): for them a changed mtime
or size is a change.
"""

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

from .base import ToolError

CHUNK = 1 << 20
HASH_LIMIT = 64 << 20


class Stamp(NamedTuple):
    mtime_ns: int
    size: int
    digest: bytes | None  # None: the file was too big to hash


def hasher_for(size: int) -> "hashlib._Hash | None":
    """A hash to feed a file of ``size`` bytes, or None when it is over ``HASH_LIMIT``."""
    return hashlib.blake2b(digest_size=16) if size <= HASH_LIMIT else None


def stamp_of(data: bytes, stat: os.stat_result) -> Stamp:
    """The stamp of content the caller already holds (``stat`` from the same open file)."""
    hasher = hasher_for(len(data))
    if hasher is not None:
        hasher.update(data)
    return Stamp(stat.st_mtime_ns, len(data), None if hasher is None else hasher.digest())


def stamp_file(path: Path) -> Stamp | None:
    """The stamp of what is on disk now, read in chunks (memory does not grow with the file); None if absent."""
    try:
        with open(path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            hasher = hasher_for(stat.st_size)
            if hasher is None:
                return Stamp(stat.st_mtime_ns, stat.st_size, None)
            size = 0
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return Stamp(stat.st_mtime_ns, size, hasher.digest())


class FileStamps:
    """What the agent last saw of each file (after a read or its own write), for one session."""

    def __init__(self) -> None:
        self._seen: dict[Path, Stamp] = {}

    def saw(self, path: Path, stamp: Stamp | None = None) -> None:
        """Record that the agent holds ``path``'s content; without ``stamp`` the file is read now."""
        current = stamp if stamp is not None else stamp_file(path)
        if current is None:
            self._seen.pop(path, None)
        else:
            self._seen[path] = current

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def ensure_fresh(self, path: Path, display: str, current: Stamp | None = None) -> None:
        """Refuse to edit a file the agent never read, or whose content changed since it did.

        ``current`` is the stamp of the content the caller is about to edit; without it the file is read now.
        """
        seen = self._seen.get(path)
        if seen is None:
            raise ToolError(f"{display} has not been read in this session", "read_file it first, then edit")
        now = current if current is not None else stamp_file(path)
        if now is None:
            raise ToolError(f"{display} was deleted since it was last read", "check with list_dir, then recreate it")
        if now.digest is None or seen.digest is None:
            changed = (now.mtime_ns, now.size) != (seen.mtime_ns, seen.size)
        else:
            changed = (now.size, now.digest) != (seen.size, seen.digest)
        if changed:
            raise ToolError(
                f"{display} changed on disk since it was last read",
                "read_file it again to see the current content, then edit",
            )
        self._seen[path] = now  # same content under a new mtime: remember the new time
