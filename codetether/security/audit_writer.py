"""Auditing every server call without a disk write per call: queue now, group-commit soon.

Writing each record on its own (open, lock, fsync) from a worker thread cost a thread hop and a
file open per request; under load most of a request's time went there. ``AuditWriter.record`` only
queues; one background task writes everything queued within a few milliseconds with a single
:meth:`AuditLog.append_many` (one lock, one fsync) and repeats. ``flush`` waits until
everything recorded before it is on disk; readers of the log (the audit API) flush first, so they
always see the calls that preceded them. A hard kill can lose the records of the last few
milliseconds that were queued but not yet written; the chain itself stays intact.

Refused calls cost their sender nothing, so they must not cost the disk much either: each field of a
record is capped, and :meth:`AuditWriter.refused` records the first few refusals from an address in
a window in full and then only counts, writing one summary record per address when the window ends
(or a reader flushes). 3,000 refused requests then write a dozen short records, not 25 MB.
"""

import asyncio
import logging
import time
from collections import Counter

from .audit import AuditEntry, AuditLog

log = logging.getLogger(__name__)

# How long records gather before a write: under load one write then carries many records instead
# of paying a lock and an fsync each (measured: ~450 µs of server CPU per gRPC call without it).
GROUP_COMMIT_SECONDS = 0.005
# A batch is written on the event loop itself: an append plus fsync of a few records costs ~0.1 ms
# here, while handing it to a worker thread cost the gRPC server ~150 µs of CPU per call in GIL
# hand-offs (bench/a2a_throughput.py). A disk slower than this moves the writes to a thread.
SLOW_WRITE_SECONDS = 0.02
# A request path or a gRPC method name is the caller's to choose, up to the server's 8 KiB line limit.
MAX_FIELD_CHARS = 512
# Per address and window, this many refusals are recorded one by one (as many as the failure limiter
# allows before it blocks); the rest are counted into one summary record.
REFUSALS_IN_FULL = 10
REFUSAL_WINDOW_SECONDS = 60.0
# Addresses with an open window at once; refusals from further addresses (a spoofed or IPv6 range) share
# one window, so a wide flood is bounded too.
MAX_REFUSAL_WINDOWS = 4096
OTHER_ADDRESSES = "other addresses"


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more chars]"


class _Refusals:
    """One address's refusals in the current window: how many were recorded, what was only counted."""

    def __init__(self, actor: str, action: str) -> None:
        self.actor = actor
        self.action = action
        self.recorded = 0
        self.counted: Counter[str] = Counter()
        self.timer: asyncio.TimerHandle | None = None


class AuditWriter:
    def __init__(
        self, log: AuditLog, *, refusal_window: float = REFUSAL_WINDOW_SECONDS, refusals_in_full: int = REFUSALS_IN_FULL
    ) -> None:
        self.log = log
        self.refusal_window = refusal_window
        self.refusals_in_full = refusals_in_full
        self._queue: list[AuditEntry] = []
        self._wake = asyncio.Event()
        self._written = 0  # entries on disk
        self._recorded = 0  # entries queued, ever
        self._progress = asyncio.Condition()
        self._task: asyncio.Task | None = None
        self._inline = True
        self._refusals: dict[str, _Refusals] = {}

    def record(
        self,
        actor: str,
        action: str,
        resource: str = "",
        outcome: str = "ok",
        detail: str = "",
        duration_ms: float = 0.0,
    ) -> None:
        self._queue.append(
            AuditEntry(
                actor=clip(actor),
                action=clip(action),
                resource=clip(resource),
                outcome=clip(outcome),
                detail=clip(detail),
                duration_ms=duration_ms,
                ts=time.time(),
            )
        )
        self._recorded += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="audit-writer")
        self._wake.set()

    def refused(
        self, address: str, actor: str, action: str, resource: str, detail: str, duration_ms: float = 0.0
    ) -> None:
        """A refused call from ``address``: recorded in full while the address is under
        ``refusals_in_full`` in this window, otherwise counted (by ``detail``) into its summary."""
        if address not in self._refusals and len(self._refusals) >= MAX_REFUSAL_WINDOWS:
            address = OTHER_ADDRESSES
        window = self._refusals.get(address)
        if window is None:
            window = self._refusals[address] = _Refusals(actor, action)
            window.timer = asyncio.get_running_loop().call_later(self.refusal_window, self._end_window, address)
        if window.recorded < self.refusals_in_full:
            window.recorded += 1
            self.record(actor, action, resource, "denied", detail, duration_ms)
        else:
            window.counted[detail] += 1

    def _end_window(self, address: str) -> None:
        window = self._refusals.pop(address, None)
        if window is not None:
            self._summarise(address, window)

    def _summarise(self, address: str, window: _Refusals) -> None:
        if not window.counted:
            return
        total = sum(window.counted.values())
        kinds = ", ".join(f"{count} x {detail}" for detail, count in sorted(window.counted.items()))
        self.record(
            window.actor,
            window.action,
            f"refused calls from {address}",
            "denied",
            f"{total} more refused call(s) not recorded one by one: {kinds}",
        )
        window.counted.clear()

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(GROUP_COMMIT_SECONDS)
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    await self._write(batch)
                except Exception as exc:  # never wedge the server (a full disk, a damaged log): say so loudly
                    log.error("could not write %d audit record(s) to %s: %s", len(batch), self.log.directory, exc)
                async with self._progress:
                    self._written += len(batch)
                    self._progress.notify_all()

    async def _write(self, batch: list[AuditEntry]) -> None:
        if not self._inline:
            await asyncio.to_thread(self.log.append_many, batch)
            return
        started = time.perf_counter()
        self.log.append_many(batch)
        took = time.perf_counter() - started
        if took > SLOW_WRITE_SECONDS:
            self._inline = False
            log.warning(
                "audit writes to %s take %.0f ms; writing from a thread from now on", self.log.directory, took * 1e3
            )

    async def flush(self) -> None:
        """Return once every record queued before this call is on disk, with the refusals counted so
        far summarised (their windows stay open: later refusals are still only counted)."""
        for address, window in self._refusals.items():
            self._summarise(address, window)
        target = self._recorded
        if self._written >= target:
            return
        async with self._progress:
            await self._progress.wait_for(lambda: self._written >= target)

    async def close(self, timeout: float = 10.0) -> None:
        for window in self._refusals.values():
            if window.timer is not None:
                window.timer.cancel()
        try:  # flush writes the summaries of the windows still open
            await asyncio.wait_for(self.flush(), timeout)
        except TimeoutError:
            log.error("gave up waiting for %d audit record(s) to be written", self._recorded - self._written)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
