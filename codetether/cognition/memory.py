"""The event ring and the memory snapshots, with followers that learn what they missed.

Events carry a sequence number; a follower keeps the number of the last one it saw. When the ring
has dropped events the follower never read, it gets one ``lag`` item saying how many, then carries
on from the oldest event still kept: a slow reader loses detail, never its place or the server's
memory. Snapshots are also appended to a JSON Lines file when one is given, so the latest memory
survives a restart.
"""

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec

from ..paths import create_private_file, ensure_private_dir
from .types import MemorySnapshot, ThoughtEvent

log = logging.getLogger(__name__)


class Lag(msgspec.Struct, kw_only=True):
    missed: int


class EventRing:
    def __init__(self, capacity: int) -> None:
        self._events: collections.deque[tuple[int, ThoughtEvent]] = collections.deque(maxlen=capacity)
        self._seq = 0
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self._events)

    @property
    def last_seq(self) -> int:
        return self._seq

    def append(self, event: ThoughtEvent) -> None:
        self._seq += 1
        self._events.append((self._seq, event))
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()

    def recent(self, limit: int) -> list[ThoughtEvent]:
        return [e for _, e in list(self._events)[-limit:]]

    def events(self) -> list[ThoughtEvent]:
        return [e for _, e in self._events]

    async def follow(
        self, after: int | None = None, heartbeat: float = 15.0
    ) -> AsyncIterator[ThoughtEvent | Lag | None]:
        """Events after sequence ``after`` (default: from now on); ``None`` after ``heartbeat`` quiet seconds."""
        cursor = self._seq if after is None else after
        while True:
            pending = [(s, e) for s, e in self._events if s > cursor]
            if pending and pending[0][0] > cursor + 1:
                yield Lag(missed=pending[0][0] - cursor - 1)
            for seq, event in pending:
                cursor = seq
                yield event
            if pending:
                continue
            wake = self._wake
            try:
                await asyncio.wait_for(wake.wait(), heartbeat)
            except TimeoutError:
                yield None


class SnapshotStore:
    def __init__(self, capacity: int, path: Path | None = None) -> None:
        self._snapshots: collections.deque[MemorySnapshot] = collections.deque(maxlen=capacity)
        self.path = path
        if path is not None:
            self._load(path, capacity)

    def __len__(self) -> int:
        return len(self._snapshots)

    def latest(self) -> MemorySnapshot | None:
        return self._snapshots[-1] if self._snapshots else None

    def count(self, swarm_id: str | None) -> int:
        return sum(1 for s in self._snapshots if s.swarm_id == swarm_id)

    def add(self, snapshot: MemorySnapshot) -> None:
        self._snapshots.append(snapshot)
        if self.path is not None:
            try:
                ensure_private_dir(self.path.parent)
                if not self.path.exists():
                    create_private_file(self.path)
                with self.path.open("ab") as handle:
                    handle.write(msgspec.json.encode(snapshot) + b"\n")
            except OSError as exc:  # memory still holds it; the file is a convenience across restarts
                log.warning("could not write the cognition snapshot to %s: %s", self.path, exc)

    def _load(self, path: Path, capacity: int) -> None:
        with contextlib.suppress(OSError):
            lines = path.read_bytes().splitlines()[-capacity:]
            for line in lines:
                try:
                    self._snapshots.append(msgspec.json.decode(line, type=MemorySnapshot))
                except (msgspec.DecodeError, msgspec.ValidationError):
                    log.warning("skipped a damaged snapshot line in %s", path)
