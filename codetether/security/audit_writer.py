"""Auditing every server call without a disk write per call: queue now, group-commit soon.

Writing each record on its own (open, lock, fsync) from a worker thread cost a thread hop and a
file open per request; under load most of a request's time went there. ``AuditWriter.record`` only
queues; one background task writes everything queued within a few milliseconds with a single
:meth:`AuditLog.append_many` (one lock, one fsync) and repeats. ``flush`` waits until
everything recorded before it is on disk; readers of the log (the audit API) flush first, so they
always see the calls that preceded them. A hard kill can lose the records of the last few
milliseconds that were queued but not yet written; the chain itself stays intact.
"""

import asyncio
import logging
import time

from .audit import AuditEntry, AuditLog

log = logging.getLogger(__name__)

# How long records gather before a write: under load one write then carries many records instead
# of paying a lock and an fsync each (measured: ~450 µs of server CPU per gRPC call without it).
GROUP_COMMIT_SECONDS = 0.005
# A batch is written on the event loop itself: an append plus fsync of a few records costs ~0.1 ms
# here, while handing it to a worker thread cost the gRPC server ~150 µs of CPU per call in GIL
# hand-offs (bench/a2a_throughput.py). A disk slower than this moves the writes to a thread.
SLOW_WRITE_SECONDS = 0.02


class AuditWriter:
    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self._queue: list[AuditEntry] = []
        self._wake = asyncio.Event()
        self._written = 0  # entries on disk
        self._recorded = 0  # entries queued, ever
        self._progress = asyncio.Condition()
        self._task: asyncio.Task | None = None
        self._inline = True

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
                actor=actor,
                action=action,
                resource=resource,
                outcome=outcome,
                detail=detail,
                duration_ms=duration_ms,
                ts=time.time(),
            )
        )
        self._recorded += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="audit-writer")
        self._wake.set()

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
        """Return once every record queued before this call is on disk."""
        target = self._recorded
        if self._written >= target:
            return
        async with self._progress:
            await self._progress.wait_for(lambda: self._written >= target)

    async def close(self, timeout: float = 10.0) -> None:
        try:
            await asyncio.wait_for(self.flush(), timeout)
        except TimeoutError:
            log.error("gave up waiting for %d audit record(s) to be written", self._recorded - self._written)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
