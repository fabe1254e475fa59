"""The terminal view of a Ralph run: one live line per story, fed only by bus events, and the final table.

It follows ``ralph.{prd_id}.#``: Ralph's own events (``ralph.{prd_id}.{state}``) set each story's
state, iteration and current check; each story agent's run events (``ralph.{prd_id}.agent.{story}``)
show the tool call it is making now. On a terminal the lines redraw in place; otherwise each change
is one appended line (logs, CI).
"""

import sys
from typing import TextIO

from ..bus import Envelope
from ..events import RalphProgress, RalphState, ToolCallStarted
from ..ralph.report import RalphReport
from ..tools.registry import describe
from .live_lines import LiveLines

_MARKS = {"passed": "✓", "already-passed": "✓", "failed": "✗", "timeout": "⏱", "blocked": "-", "running": "⋯"}


class RalphView(LiveLines):
    def __init__(self, *, tty: bool, out: TextIO = sys.stderr) -> None:
        super().__init__(tty=tty, out=out)
        self.state: dict[str, tuple[str, int, str]] = {}  # story -> (state, iteration, doing)

    def handle(self, envelope: Envelope) -> None:
        event = envelope.message
        if isinstance(event, RalphProgress):
            self._progress(event)
        elif isinstance(event, ToolCallStarted) and ".agent." in envelope.topic:
            story = envelope.topic.rsplit(".", 1)[-1]
            if story in self.state:
                state, iteration, _ = self.state[story]
                self._line(story, state, iteration, describe(event.name, event.arguments, 60))

    def _progress(self, event: RalphProgress) -> None:
        story = event.story
        if event.state == RalphState.RUN:
            self._note(f"ralph: {event.passed}/{event.total} stories already pass; branch {event.detail or '-'}")
        elif event.state == RalphState.STARTED:
            self._line(story, "running", 0, event.detail)
        elif event.state == RalphState.ITERATION:
            label = "working" if event.iteration == 1 else "repairing"
            self._line(story, label, event.iteration, "agent at work")
        elif event.state == RalphState.CHECK:
            _, iteration, _ = self.state.get(story, ("", event.iteration, ""))
            if event.ok is None:
                self._line(story, "checking", iteration, f"running {event.check}")
            elif not event.ok:
                self._line(story, "checking", iteration, f"{event.check} failed: {event.detail}")
        elif event.state in (RalphState.PASSED, RalphState.FAILED, RalphState.BLOCKED):
            self._line(story, event.state.value, event.iteration, event.detail.splitlines()[0] if event.detail else "")
        elif event.state == RalphState.LEARNING:
            for item in event.learnings[:3]:
                self._note(f"  {story} learned: {item[:150]}")
        elif event.state == RalphState.FINISHED:
            self._note(f"ralph: {event.passed}/{event.total} stories pass; {event.detail}")

    def _line(self, story: str, state: str, iteration: int, doing: str) -> None:
        self.state[story] = (state, iteration, doing)
        mark = _MARKS.get(state, "⋯")
        self._show(story, f"{mark} {story:<12} {state:<10} iter {iteration:<2} {doing[:80]}")


def _cost(value: float | None) -> str:
    return f"${value:.4f}" if value is not None else "-"


def render_table(report: RalphReport) -> str:
    """The final table: story, result, iterations, checks, time, tokens, cost; then why it stopped."""
    header = ("story", "result", "iter", "checks", "time", "tokens", "cost")
    rows = [header]
    for s in report.stories:
        rows.append(
            (
                s.id,
                s.result,
                str(s.iterations) if s.iterations else "-",
                s.checks_passed,
                f"{s.seconds:.1f}s" if s.seconds else "-",
                str(s.input_tokens + s.output_tokens) if s.iterations else "-",
                _cost(s.cost_usd) if s.iterations else "-",
            )
        )
    rows.append(
        (
            "total",
            f"{report.passed}/{report.total} pass",
            "",
            "",
            f"{report.wall_seconds:.1f}s",
            str(report.input_tokens + report.output_tokens),
            _cost(report.cost_usd),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"ralph {report.feature} ({report.branch or 'no branch'}): {report.status}"]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0 or index == len(rows) - 2:
            lines.append("  ".join("-" * width for width in widths))
    for s in report.stories:
        if s.error and s.result not in ("passed", "already-passed"):
            lines.append(f"{s.id}: {s.error}")
            failing = [c for c in s.checks if not c.ok]
            for check in failing[:2]:
                lines += [f"    {line}" for line in check.output.strip().splitlines()[-6:]]
    if report.stop_reason:
        lines.append(f"stopped: {report.stop_reason}")
    return "\n".join(lines)
