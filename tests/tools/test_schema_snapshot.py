"""Pins every tool's name, prose and JSON Schema exactly as the model sees them.

A change here changes what every model is told: review the diff, then regenerate with
CODETETHER_UPDATE_SNAPSHOTS=1 python -m pytest tests/tools/test_schema_snapshot.py
"""

import json
import os
from pathlib import Path

from codetether.tools.registry import BUILTIN_TOOLS, builtin_tools

SNAPSHOT = Path(__file__).with_name("tool_schemas.json")


def current() -> list[dict]:
    return [{"name": t.name, "description": t.description, "parameters": t.spec().parameters} for t in builtin_tools()]


def test_tool_schemas_match_the_snapshot():
    schemas = current()
    if os.environ.get("CODETETHER_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(schemas, indent=2, ensure_ascii=False) + "\n")
    assert schemas == json.loads(SNAPSHOT.read_text())


def test_every_schema_is_strict_and_described():
    for tool in current():
        params = tool["parameters"]
        assert params["type"] == "object" and params.get("additionalProperties") is False, tool["name"]
        for name, prop in params["properties"].items():
            assert prop.get("description"), f"{tool['name']}.{name} has no description"
        assert "$ref" not in json.dumps(params)


def test_the_documented_tool_names_are_all_there():
    expected = {
        "read_file",
        "write_file",
        "edit",
        "multiedit",
        "apply_patch",
        "glob",
        "grep",
        "list_dir",
        "codesearch",
        "lsp",
        "bash",
        "batch",
        "task",
        "webfetch",
        "websearch",
        "todo_read",
        "todo_write",
        "question",
        "skill",
        "plan_enter",
        "plan_exit",
        "image",
        "rlm",
        "prd",
        "ralph",
    }
    assert set(BUILTIN_TOOLS) == expected
