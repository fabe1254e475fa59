"""Plan parsing, validation and staging."""

import pytest

from codetether.swarm.plan import Plan, PlanError, Subtask, parse_plan, stages, validate


def plan(*specs: tuple[str, list[str]]) -> Plan:
    return Plan(subtasks=[Subtask(name=n, instruction=f"do {n}", depends_on=d) for n, d in specs])


def test_parse_from_fenced_or_bare_json():
    text = 'Here is the plan:\n```json\n{"subtasks": [{"name": "a", "instruction": "x {y}"}]}\n```'
    assert parse_plan(text).subtasks[0].instruction == "x {y}"
    assert parse_plan('ok {"subtasks": [{"name": "b", "instruction": "say \\"}\\""}]} trailing').subtasks[0].name == "b"
    with pytest.raises(PlanError, match="no JSON object"):
        parse_plan("I cannot plan this")
    with pytest.raises(PlanError, match="not valid JSON"):
        parse_plan('{"steps": []}')


def test_stages_follow_dependencies():
    p = plan(("schema", []), ("docs", []), ("api", ["schema"]), ("cli", ["schema"]), ("tests", ["api", "cli"]))
    validate(p, 5)
    assert [[s.name for s in stage] for stage in stages(p)] == [["schema", "docs"], ["api", "cli"], ["tests"]]


@pytest.mark.parametrize(
    ("p", "message"),
    [
        (plan(), "no subtasks"),
        (plan(("a", ["ghost"])), "unknown subtask 'ghost'"),
        (plan(("a", ["a"])), "depends on itself"),
        (plan(("a", ["c"]), ("b", ["a"]), ("c", ["b"])), "cycle: a -> c -> b -> a"),
        (plan(("a", []), ("a", [])), "repeated: a"),
        (plan(("bad name", [])), "invalid"),
        (plan(*[(f"t{i}", []) for i in range(5)]), "at most 4"),
    ],
)
def test_invalid_plans(p, message):
    with pytest.raises(PlanError, match=message):
        validate(p, 4)
