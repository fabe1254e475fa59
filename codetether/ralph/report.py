"""What a Ralph run reports: one row per story and the totals, and the agent's structured story report."""

import re

import msgspec

from .checks import CheckResult


class StoryReport(msgspec.Struct, kw_only=True):
    """The JSON block the agent ends its final answer with (the prompt asks for it)."""

    summary: str = ""
    learnings: list[str] = []


class StoryResult(msgspec.Struct, kw_only=True):
    id: str
    title: str
    result: str  # passed | failed | timeout | blocked | already-passed | not-run
    iterations: int = 0  # agent rounds: the first, then one per repair
    checks: list[CheckResult] = []  # the last round's checks
    seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: str = ""
    commit: str = ""  # the story's commit (in the PRD's branch when commits are on)
    worktree: str = ""  # kept for inspection after a timeout or failure
    conflicts: list[str] = []  # files its merge conflicted in (it is tried once more from the new tip)
    summary: str = ""
    learnings: list[str] = []

    @property
    def checks_passed(self) -> str:
        return f"{sum(c.ok for c in self.checks)}/{len(self.checks)}" if self.checks else "-"


class RalphReport(msgspec.Struct, kw_only=True):
    prd_id: str
    prd: str  # the PRD file
    feature: str
    branch: str
    status: str  # passed (every story passes) | partial | failed (none passed this run or before)
    stop_reason: str
    stories: list[StoryResult]
    passed: int
    total: int
    attempts: int
    wall_seconds: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.passed == self.total else 4


_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


def parse_story_report(text: str) -> StoryReport | None:
    """The last JSON block in ``text`` that reads as a :class:`StoryReport` with a summary, or None."""
    candidates = _FENCE.findall(text)
    start = text.rfind("{")
    if start >= 0:
        candidates.append(text[start:].strip())
    for candidate in reversed(candidates):
        try:
            report = msgspec.json.decode(candidate, type=StoryReport)
        except msgspec.DecodeError:
            continue
        if report.summary.strip():
            return StoryReport(
                summary=report.summary.strip(), learnings=[x.strip() for x in report.learnings if x.strip()]
            )
    return None


def without_report(text: str) -> str:
    return _FENCE.sub("", text).strip()
