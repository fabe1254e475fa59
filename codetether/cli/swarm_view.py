"""The terminal view of a swarm: one live line per sub-agent, fed only by bus events."""

import sys
from typing import TextIO

from ..bus import Subscription
from ..bus.messages import SwarmEvent

_MARKS = {"running": "⋯", "done": "✓", "failed": "✗", "skipped": "-", "pending": " "}


class SwarmView:
    def __init__(self, subscription: Subscription, *, tty: bool, out: TextIO = sys.stderr) -> None:
        self.subscription = subscription
        self.tty = tty
        self.out = out
        self.lines: dict[str, str] = {}
        self.drawn = 0

    async def follow(self) -> None:
        async for envelope in self.subscription:
            self.handle(envelope.message)

    def drain(self) -> None:
        for envelope in self.subscription.poll():
            self.handle(envelope.message)

    def handle(self, event: object) -> None:
        if not isinstance(event, SwarmEvent):
            return
        if event.kind in ("subtask", "progress"):
            mark = _MARKS.get(event.state, "·")
            line = f"{mark} {event.subtask:<20} {event.state:<8} step {event.steps:<3} {event.detail[:70]}"
            self.lines[event.subtask] = line
            self._show(line)
        elif event.kind in ("planned", "stage", "merge_conflict", "apply_conflict", "plan_rejected"):
            self._note(f"[{event.kind}] {event.subtask} {event.detail}".replace("  ", " "))

    def _note(self, text: str) -> None:
        if self.tty:
            self._clear()
        self.out.write(text + "\n")
        if self.tty:
            self._redraw()
        self.out.flush()

    def _show(self, line: str) -> None:
        if not self.tty:
            self.out.write(line + "\n")
            self.out.flush()
            return
        self._clear()
        self._redraw()

    def _clear(self) -> None:
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _redraw(self) -> None:
        for line in self.lines.values():
            self.out.write(line + "\n")
        self.drawn = len(self.lines)
        self.out.flush()


def render_report(report) -> str:
    rows = [
        f"swarm {report.swarm_id}: {report.status}  ({len(report.subtasks)} subtasks in {len(report.stages)} stages)"
    ]
    for result in report.subtasks:
        cached = " (cached)" if result.cached else ""
        rows.append(
            f"{_MARKS.get(result.status, '✗')} {result.name} [{result.status}{cached}] "
            f"{result.steps} steps, {result.seconds:.1f}s"
        )
        text = result.result if result.status == "done" else result.error
        rows += [f"    {line}" for line in text.strip().splitlines()[:8]]
    rows.append(
        f"wall {report.wall_seconds:.1f}s, sub-agent time {report.agent_seconds:.1f}s, "
        f"speed-up {report.speedup:.1f}x, rate-limit slowdowns {report.rate_limit_slowdowns}"
    )
    if not report.applied:
        rows.append(
            f"could not apply the merged changes cleanly ({', '.join(report.conflicts)}); "
            f"they are kept on branch {report.branch}"
        )
    return "\n".join(rows)
