"""Every problem in a PRD, each as one line naming its JSON path, before any agent runs.

msgspec stops at the first schema error; a person fixing a PRD wants them all. So the raw JSON is
checked field by field (each field converted on its own, stories and verification steps one by
one), and only a PRD without schema errors gets the semantic checks: duplicate or unsafe ids,
unknown dependencies, dependency cycles (named by id), no quality checks.
"""

import json
import re
from pathlib import Path
from typing import Any

import msgspec

from ..errors import CodetetherError
from .prd import SAFE_ID, Prd, QualityChecks, UserStory, VerificationStep, convert, normalise

_AT = re.compile(r" - at `\$(.*)`$")
_MISSING = re.compile(r"^Object missing required field `(.*)`$")


class PrdError(CodetetherError):
    """A PRD that cannot be run: unreadable, not JSON, or invalid (``problems`` lists every one)."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message, hint)
        self.problems = problems or [message]


def _convert_error(value: Any, kind: Any, path: str) -> str | None:
    try:
        msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        text = str(exc)
        match = _AT.search(text)
        inner = match.group(1) if match else ""
        text = _AT.sub("", text)
        missing = _MISSING.match(text)
        if missing:  # name the missing field in the path, like the other errors do
            return f"{path}{inner}.{missing.group(1)}: required field is missing"
        return f"{path}{inner}: {text[0].lower()}{text[1:]}"
    return None


def _fields(obj: Any, cls: type, path: str, errors: list[str], nested: frozenset[str] = frozenset()) -> bool:
    """Check each field of ``obj`` against ``cls``'s; fields in ``nested`` are left to the caller."""
    if not isinstance(obj, dict):
        errors.append(f"{path}: expected an object, got {_kind(obj)}")
        return False
    for field in msgspec.structs.fields(cls):
        if field.encode_name not in obj:
            if field.required:
                errors.append(f"{path}.{field.encode_name}: required field is missing")
            continue
        if field.encode_name in nested:
            continue
        problem = _convert_error(obj[field.encode_name], field.type, f"{path}.{field.encode_name}")
        if problem:
            errors.append(problem)
    return True


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def schema_errors(raw: Any) -> list[str]:
    """Every schema error in the decoded JSON ``raw``, each ``$.path: what is wrong``."""
    raw = normalise(raw)
    errors: list[str] = []
    if not _fields(raw, Prd, "$", errors, frozenset({"user_stories"})):
        return errors
    stories = raw.get("user_stories", [])
    if not isinstance(stories, list):
        errors.append(f"$.user_stories: expected an array, got {_kind(stories)}")
        return errors
    for i, story in enumerate(stories):
        path = f"$.user_stories[{i}]"
        if not _fields(story, UserStory, path, errors, frozenset({"verification_steps"})):
            continue
        steps = story.get("verification_steps", [])
        if not isinstance(steps, list):
            errors.append(f"{path}.verification_steps: expected an array, got {_kind(steps)}")
            continue
        for j, step in enumerate(steps):
            problem = _convert_error(step, VerificationStep, f"{path}.verification_steps[{j}]")
            if problem:
                errors.append(problem)
    return errors


def find_cycle(deps: dict[str, list[str]]) -> list[str]:
    """One dependency cycle as ids (first id repeated at the end), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep in deps and dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for node in deps:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def semantic_errors(prd: Prd) -> list[str]:
    errors: list[str] = []
    if not prd.user_stories:
        errors.append("$.user_stories: the PRD has no user stories")
    seen: dict[str, int] = {}
    for i, story in enumerate(prd.user_stories):
        if not SAFE_ID.match(story.id):
            errors.append(
                f"$.user_stories[{i}].id: {story.id!r} is not a usable id (letters, digits, '.', '_', '-'; "
                "at most 64, starting with a letter or digit)"
            )
        if story.id in seen:
            errors.append(f"$.user_stories[{i}].id: {story.id!r} is also the id of $.user_stories[{seen[story.id]}]")
        seen.setdefault(story.id, i)
        if not story.title.strip():
            errors.append(f"$.user_stories[{i}].title: empty")
    for i, story in enumerate(prd.user_stories):
        for j, dep in enumerate(story.depends_on):
            if dep == story.id:
                errors.append(f"$.user_stories[{i}].depends_on[{j}]: story {story.id} depends on itself")
            elif dep not in seen:
                errors.append(f"$.user_stories[{i}].depends_on[{j}]: unknown story id {dep!r}")
    cycle = find_cycle({s.id: [d for d in s.depends_on if d != s.id] for s in prd.user_stories})
    if cycle:
        errors.append(f"$.user_stories: dependency cycle {' -> '.join(cycle)}")
    if not QualityChecks.items(prd.quality_checks):
        errors.append(
            "$.quality_checks: no quality checks (set at least one of typecheck, test, lint, build to a shell command)"
        )
    branch = prd.branch_name
    if branch and (branch.startswith(("-", "/")) or ".." in branch or re.search(r"[\s~^:?*\[\\]", branch)):
        errors.append(f"$.branch_name: {branch!r} is not a valid git branch name")
    return errors


def check_text(text: str, source: str = "prd.json") -> tuple[Prd | None, list[str]]:
    """(the PRD, []) or (None, every problem) for the JSON ``text``."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]
    errors = schema_errors(raw)
    if errors:
        return None, errors
    prd = convert(raw)
    errors = semantic_errors(prd)
    return (None, errors) if errors else (prd, [])


def load(path: Path) -> Prd:
    """The valid PRD at ``path``, or a :class:`PrdError` whose message is the first problem."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise PrdError(f"no PRD at {path}", "write one with `codetether ralph create-prd`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PrdError(f"cannot read the PRD {path}: {exc}") from None
    prd, problems = check_text(text, path.name)
    if prd is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PrdError(
            f"invalid PRD {path.name}: {problems[0]}{more}",
            f"`codetether ralph validate {path}` lists every problem",
            problems,
        )
    return prd
