"""``progress.txt``: the run's memory, read by every story's agent and appended to after each pass.

Each entry is dated and names the story, with the agent's summary and what it learned (asked for
as structured JSON, not scraped from its prose). Appends take an exclusive lock and are fsynced,
so parallel stories and a crash never leave half an entry.
"""

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path

from .report import StoryResult

MEMORY_CHARS = 12_000  # what the prompt carries: the newest part of the file


def entry(result: StoryResult, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    checks = ", ".join(f"{c.name} {'ok' if c.ok else 'FAILED'}" for c in result.checks) or "none"
    lines = [
        f"## {stamp} - {result.id}: {result.title}",
        f"**Status:** {result.result} after {result.iterations} iteration(s); checks: {checks}",
        "",
        "### Summary",
        result.summary or "(no summary)",
        "",
        "### Learnings",
        *([f"- {item}" for item in result.learnings] or ["- (none)"]),
        "",
        "",
    ]
    return "\n".join(lines)


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if handle.tell() == 0:
                handle.write("# Ralph progress\n\n")
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def memory(path: Path) -> str:
    """The newest part of the progress file for a prompt ('' when there is none yet)."""
    try:
        text = path.read_text("utf-8", "replace")
    except FileNotFoundError:
        return ""
    if len(text) <= MEMORY_CHARS:
        return text.strip()
    return "[... older entries cut ...]\n" + text[-MEMORY_CHARS:].strip()
