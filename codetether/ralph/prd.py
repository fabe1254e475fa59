"""The ``prd.json`` schema: a feature split into user stories, with the checks that say a story is done.

Field names, defaults and the ``type``-tagged verification steps follow the original tool's files
(``src/ralph/types.rs``), so a PRD written by either tool reads in the other: ``dependencies`` is
read as ``depends_on``, ``null`` quality checks as absent, and unknown fields are kept when the
file is written back (:func:`mark_passed` edits the JSON, it does not re-encode the struct).
"""

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec

Byte = Annotated[int, msgspec.Meta(ge=0, le=255)]  # the original stores priority/complexity as u8
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # ids become branch names and topic segments


class ShellStep(msgspec.Struct, tag="shell", tag_field="type", kw_only=True):
    """Run ``command`` (bash -c); it must exit 0, print each expected text and leave the expected files."""

    command: str
    name: str | None = None
    cwd: str | None = None
    expect_output_contains: list[str] = []
    expect_files_glob: list[str] = []


class FileExistsStep(msgspec.Struct, tag="file_exists", tag_field="type", kw_only=True):
    """``path`` must exist (with ``glob``: at least one file must match the pattern)."""

    path: str
    name: str | None = None
    glob: bool = False


class UrlStep(msgspec.Struct, tag="url", tag_field="type", kw_only=True):
    """A request to ``url`` must answer ``expect_status`` with a body containing each expected text."""

    url: str
    name: str | None = None
    method: str = "GET"
    expect_status: int = 200
    expect_body_contains: list[str] = []
    timeout_secs: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 30


VerificationStep = ShellStep | FileExistsStep | UrlStep


class UserStory(msgspec.Struct, kw_only=True):
    id: str
    title: str
    description: str = ""
    acceptance_criteria: list[str] = []
    verification_steps: list[VerificationStep] = []
    passes: bool = False
    priority: Byte = 1  # lower runs first
    depends_on: list[str] = []
    complexity: Byte = 3  # a tie-breaker after priority: simpler first


class QualityChecks(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Shell commands run in the story's worktree after the agent's work; each must exit 0."""

    typecheck: str | None = None
    test: str | None = None
    lint: str | None = None
    build: str | None = None

    def items(self) -> list[tuple[str, str]]:
        """(name, command) of the checks that are set, in the order they run."""
        pairs = [("typecheck", self.typecheck), ("lint", self.lint), ("build", self.build), ("test", self.test)]
        return [(name, command) for name, command in pairs if command and command.strip()]


class Prd(msgspec.Struct, kw_only=True):
    project: str
    feature: str
    branch_name: str = ""
    version: str = "1.0"
    user_stories: list[UserStory] = []
    technical_requirements: list[str] = []
    quality_checks: QualityChecks = msgspec.field(default_factory=QualityChecks)
    created_at: str = ""
    updated_at: str = ""

    def story(self, story_id: str) -> UserStory:
        return next(s for s in self.user_stories if s.id == story_id)

    @property
    def passed(self) -> int:
        return sum(1 for s in self.user_stories if s.passes)


def now() -> str:
    """A timestamp in the original's shape (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def normalise(raw: Any) -> Any:
    """The raw JSON with the original's spellings mapped to ours (``dependencies`` -> ``depends_on``,
    ``null`` quality checks dropped). The input is not changed."""
    if not isinstance(raw, dict):
        return raw
    raw = dict(raw)
    stories = raw.get("user_stories")
    if isinstance(stories, list):
        fixed = []
        for story in stories:
            if isinstance(story, dict) and "dependencies" in story and "depends_on" not in story:
                story = {**story, "depends_on": story["dependencies"]}
                del story["dependencies"]
            fixed.append(story)
        raw["user_stories"] = fixed
    checks = raw.get("quality_checks")
    if isinstance(checks, dict):
        raw["quality_checks"] = {k: v for k, v in checks.items() if v is not None}
    elif checks is None and "quality_checks" in raw:
        del raw["quality_checks"]
    return raw


def convert(raw: Any) -> Prd:
    """The PRD in ``raw`` (decoded JSON); raises ``msgspec.ValidationError`` (use ``validate`` for all errors)."""
    return msgspec.convert(normalise(raw), Prd)


def encode(prd: Prd) -> bytes:
    return msgspec.json.format(msgspec.json.encode(prd), indent=2) + b"\n"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees the old file or the new one, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def mark_passed(path: Path, story_id: str) -> None:
    """Set ``passes: true`` on one story in the file, keeping every other byte of meaning (unknown fields,
    the ``dependencies`` spelling) and bumping ``updated_at``; written atomically."""
    raw = json.loads(path.read_text("utf-8"))
    for story in raw["user_stories"]:
        if story.get("id") == story_id:
            story["passes"] = True
    raw["updated_at"] = now()
    write_atomic(path, (json.dumps(raw, indent=2, ensure_ascii=False) + "\n").encode())
