"""The terminal view of a swarm: one live line per sub-agent, fed only by bus events.

It follows ``swarm.{id}.#``: the swarm's own events (``swarm.{id}``) set each subtask's state, and
each sub-agent's run events (``swarm.{id}.{subtask}``) show what it is doing now.
"""

import sys
from typing import TextIO

from ..bus import Envelope, segment
from ..events import SubtaskState, SwarmEvent, SwarmKind, ToolCallStarted, UsageUpdate
from ..tools.registry import describe
from .live_lines import LiveLines

_MARKS = {"running": "⋯", "done": "✓", "failed": "✗", "skipped": "-", "pending": " "}
_NOTES = {
    SwarmKind.PLANNED,
    SwarmKind.STAGE,
    SwarmKind.MERGE_CONFLICT,
    SwarmKind.APPLY_CONFLICT,
    SwarmKind.PLAN_REJECTED,
}


class SwarmView(LiveLines):
    def __init__(self, *, tty: bool, out: TextIO = sys.stderr) -> None:
        super().__init__(tty=tty, out=out)
        self.names: dict[str, str] = {}  # topic segment -> subtask name
        self.steps: dict[str, int] = {}  # subtask -> model turns seen

    def handle(self, envelope: Envelope) -> None:
        event = envelope.message
        if isinstance(event, SwarmEvent):
            self._swarm_event(event)
            return
        name = self.names.get(envelope.topic.rsplit(".", 1)[-1])
        if name is None:
            return
        if isinstance(event, UsageUpdate):
            self.steps[name] = self.steps.get(name, 0) + 1
        elif isinstance(event, ToolCallStarted):
            self._line(name, SubtaskState.RUNNING, self.steps.get(name, 0), describe(event.name, event.arguments, 60))

    def _swarm_event(self, event: SwarmEvent) -> None:
        if event.kind == SwarmKind.SUBTASK:
            self.names[segment(event.subtask)] = event.subtask
            self._line(event.subtask, event.state, event.steps or self.steps.get(event.subtask, 0), event.detail)
        elif event.kind in _NOTES:
            self._note(f"[{event.kind}] {event.subtask} {event.detail}".replace("  ", " "))

    def _line(self, name: str, state: str, steps: int, detail: str) -> None:
        mark = _MARKS.get(state, "·")
        self._show(name, f"{mark} {name:<20} {state:<8} step {steps:<3} {detail[:70]}")


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
