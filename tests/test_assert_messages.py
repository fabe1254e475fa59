"""No test puts a second condition in an assert's message slot: ``assert a, b == c`` checks only ``a``."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _looks_like_a_condition(node: ast.expr) -> bool:
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BoolOp):
        return any(_looks_like_a_condition(value) for value in node.values)
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)


def test_no_assert_hides_a_condition_in_its_message():
    hidden = [
        f"{path.relative_to(TESTS.parent)}:{node.lineno}"
        for path in sorted(TESTS.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path)))
        if isinstance(node, ast.Assert) and node.msg is not None and _looks_like_a_condition(node.msg)
    ]
    assert hidden == []
