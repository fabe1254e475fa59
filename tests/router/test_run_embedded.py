"""`codetether run` with no provider configured: the embedded 270M model makes a schema-valid call that runs."""

import json
import os
import subprocess
import sys

import jsonschema

from .conftest import needs_llama

pytestmark = needs_llama


def test_list_the_files_here(tmp_path, gguf, specs):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "greet.py").write_text('def greet(name):\n    return "hello " + name\n')
    (repo / "README.md").write_text("# greet\n")
    env = {
        **os.environ,
        "CODETETHER_LLAMA_MODEL_PATH": str(gguf),  # the session's assembled copy, not a fresh one per test
        "CODETETHER_DISCOVERY_ENABLED": "0",  # a local server on this machine must not take the run
    }
    proc = subprocess.run(
        [sys.executable, "-m", "codetether", "run", "--format", "jsonl", "--max-steps", "2", "list the files here"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    # Step 1 is the call, step 2 the answer; a 270M model's answer may run to its output limit (exit 3).
    assert proc.returncode in (0, 3), proc.stderr
    assert "270M demonstration model" in proc.stderr.splitlines()[0]
    calls = [e for e in events if e["type"] == "tool_call"]
    results = {e["call_id"]: e for e in events if e["type"] == "tool_result"}
    assert calls, events
    first = calls[0]
    spec = next(s for s in specs if s.name == first["name"])  # an offered tool
    jsonschema.Draft202012Validator(spec.parameters).validate(json.loads(first["arguments"]))
    assert first["call_id"] in results  # it ran and its result went back to the model
    assert events[-1]["type"] == "done" and events[-1]["status"] in ("submitted", "max_steps", "max_tokens")
