"""``ralph status``: the PRD's stories as the file says (passes) beside what the last run reported."""

from pathlib import Path

import msgspec

from .report import StoryResult
from .state import RunLock, load_report, prd_id
from .validate import load


class StoryStatus(msgspec.Struct, kw_only=True):
    id: str
    title: str
    passes: bool
    depends_on: list[str]
    last: StoryResult | None = None


class PrdStatus(msgspec.Struct, kw_only=True):
    prd_id: str
    prd: str
    feature: str
    branch: str
    passed: int
    total: int
    running: bool  # a run holds the PRD's lock now
    last_run: str  # the last run's stop reason ('' when there was none)
    stories: list[StoryStatus]


def prd_status(path: Path) -> PrdStatus:
    prd = load(path)
    pid = prd_id(path, prd.feature)
    report = load_report(pid)
    last = {s.id: s for s in report.stories} if report else {}
    return PrdStatus(
        prd_id=pid,
        prd=str(path.resolve()),
        feature=prd.feature,
        branch=prd.branch_name,
        passed=prd.passed,
        total=len(prd.user_stories),
        running=RunLock(pid).held(),
        last_run=report.stop_reason if report else "",
        stories=[
            StoryStatus(id=s.id, title=s.title, passes=s.passes, depends_on=s.depends_on, last=last.get(s.id))
            for s in prd.user_stories
        ],
    )


def render_status(status: PrdStatus) -> str:
    state = "running now" if status.running else (f"last run: {status.last_run}" if status.last_run else "never run")
    lines = [f"{status.feature}: {status.passed}/{status.total} stories pass ({state})"]
    for story in status.stories:
        mark = "✓" if story.passes else "·"
        last = story.last
        detail = ""
        if last is not None and last.result not in ("already-passed", "pending"):
            detail = f"  last: {last.result}, {last.iterations} iter, checks {last.checks_passed}, {last.seconds:.1f}s"
            if last.error and last.result != "passed":
                detail += f" ({last.error[:100]})"
        deps = f" [after {', '.join(story.depends_on)}]" if story.depends_on else ""
        lines.append(f"{mark} {story.id} {story.title}{deps}{detail}")
    return "\n".join(lines)
