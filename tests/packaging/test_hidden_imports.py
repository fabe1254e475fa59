"""The freezer's list of string imports: current, complete, and every target importable."""

import json
import os
import subprocess
import sys

import hidden_imports  # build/hidden_imports.py, on sys.path through the conftest


def test_every_string_import_call_site_is_known():
    assert hidden_imports.unlisted_call_sites() == [], "add the file to CALL_SITES in build/hidden_imports.py"


def test_the_generated_list_is_current():
    """Like the tool-schema snapshot: a new command, provider or tool changes the list on purpose."""
    text = hidden_imports.render()
    if os.environ.get("CODETETHER_UPDATE_SNAPSHOTS") == "1":
        hidden_imports.OUTPUT.write_text(text, "utf-8")
    assert hidden_imports.OUTPUT.read_text("utf-8") == text, "run python build/hidden_imports.py and commit the file"


def test_the_list_covers_every_registry():
    targets = hidden_imports.targets()
    sources = set(targets.values())
    for kind in (
        "cli command run",
        "provider kind openai",
        "BUILTIN_TOOLS",
        "tree-sitter grammar",
        "A2A protocol stubs",
    ):
        assert kind in sources, kind
    assert "codetether.a2a.pb.v1_pb2" in targets and "codetether.a2a.pb.v0_3_pb2" in targets
    assert any(source.endswith("lazy export") for source in sources)


def test_every_registry_target_imports():
    """In a fresh interpreter, so nothing this test session imported earlier can hide a broken target."""
    code = (
        "import importlib, json, sys\n"
        "bad = {}\n"
        "for target in json.loads(sys.argv[1]):\n"
        "    module, _, attribute = target.partition(':')\n"
        "    try:\n"
        "        loaded = importlib.import_module(module)\n"
        "        if attribute: getattr(loaded, attribute)\n"
        "    except Exception as exc:\n"
        "        bad[target] = repr(exc)\n"
        "print(json.dumps(bad))\n"
    )
    targets = list(hidden_imports.targets())
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(targets)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {}
