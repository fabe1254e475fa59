"""The swarm plan: parse the model's JSON, check it, and sort it into stages."""

import re
from collections.abc import Collection

import msgspec

from ..errors import CodetetherError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,47}")


class PlanError(CodetetherError):
    """The plan is unusable: bad JSON, an unknown dependency, a cycle, no subtasks."""


class Subtask(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    name: str
    instruction: str
    specialty: str = "general"
    depends_on: list[str] = []
    agent: str = ""  # a named agent profile to run it (agent/profiles.py); "" for the swarm's default sub-agent


class Plan(msgspec.Struct, kw_only=True):
    subtasks: list[Subtask]


def _json_object(text: str) -> str:
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)
    if fenced:
        return fenced.group(1)
    start = text.find("{")
    if start < 0:
        raise PlanError("the plan contains no JSON object")
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    raise PlanError("the plan's JSON object is not closed")


def parse_plan(text: str) -> Plan:
    try:
        return msgspec.json.decode(_json_object(text), type=Plan)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PlanError(f"the plan is not valid JSON for {{subtasks: [...]}}: {exc}") from exc


def validate(plan: Plan, max_subtasks: int, agents: Collection[str] = ()) -> None:
    """Raise :class:`PlanError` for an unusable plan; ``agents`` are the agent names a subtask may give."""
    if not plan.subtasks:
        raise PlanError("the plan has no subtasks")
    if len(plan.subtasks) > max_subtasks:
        raise PlanError(f"the plan has {len(plan.subtasks)} subtasks; at most {max_subtasks} are allowed")
    names = [s.name for s in plan.subtasks]
    for name in names:
        if not _NAME.fullmatch(name):
            raise PlanError(f"subtask name {name!r} is invalid: use letters, digits, '-' and '_' (max 48)")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PlanError(f"subtask names must be unique; repeated: {', '.join(duplicates)}")
    for subtask in plan.subtasks:
        if not subtask.instruction.strip():
            raise PlanError(f"subtask {subtask.name!r} has no instruction")
        if subtask.agent and subtask.agent not in agents:
            known = ", ".join(sorted(agents)) or "none"
            raise PlanError(f"subtask {subtask.name!r} names unknown agent {subtask.agent!r}; known agents: {known}")
        for dep in subtask.depends_on:
            if dep not in names:
                raise PlanError(f"subtask {subtask.name!r} depends on unknown subtask {dep!r}")
            if dep == subtask.name:
                raise PlanError(f"subtask {subtask.name!r} depends on itself")
    cycle = _find_cycle(plan)
    if cycle:
        raise PlanError(f"the dependencies form a cycle: {' -> '.join(cycle)}")


def _find_cycle(plan: Plan) -> list[str]:
    deps = {s.name: s.depends_on for s in plan.subtasks}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for dep in deps[name]:
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return []

    for name in deps:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []


def stages(plan: Plan) -> list[list[Subtask]]:
    """Subtasks grouped so each stage depends only on earlier ones (validate first)."""
    done: set[str] = set()
    remaining = list(plan.subtasks)
    result: list[list[Subtask]] = []
    while remaining:
        ready = [s for s in remaining if set(s.depends_on) <= done]
        result.append(ready)
        done |= {s.name for s in ready}
        remaining = [s for s in remaining if s.name not in done]
    return result
