"""`codetether run --format jsonl` is a scripting interface: its lines stay byte-compatible.

The golden file was written from the output before the runtime/event-bus refactor. Only values
that differ per run (session id, paths, durations, tool-call ids) are normalised; every key, its
order and every other value must match exactly. Regenerate deliberately with
``UPDATE_GOLDEN=1 python -m pytest tests/agent/test_jsonl_golden.py``.
"""

import json
import os
import re
from pathlib import Path

from tests.agent.test_run_e2e import configure, run_cli
from tests.agent.test_run_e2e import repo as repo
from tests.fakes.llm import Call, Reply

GOLDEN = Path(__file__).with_name("golden_run.jsonl")


def normalise(stdout: str, repo_dir: Path) -> str:
    lines = []
    for line in stdout.splitlines():
        line = line.replace(json.dumps(str(repo_dir))[1:-1], "<repo>")
        line = re.sub(r'"session_id":"[^"]+"', '"session_id":"<session>"', line)
        line = re.sub(r'"duration_ms":[0-9.e+-]+', '"duration_ms":0', line)
        line = re.sub(r'"call_id":"[^"]+"', '"call_id":"<call>"', line)
        lines.append(line)
    return "\n".join(lines) + "\n"


async def test_jsonl_output_is_byte_compatible(llm, repo, config_file):
    configure(config_file, llm)
    llm.script(
        Reply(text="Let me look.", calls=[Call("read_file", {"file_path": "greet.py"})]),
        Reply(calls=[Call("write_file", {"file_path": "main.py", "content": "print('hi')\n"})]),
        Reply(calls=[Call("edit", {"file_path": "greet.py", "old_string": '"hello "', "new_string": '"Hello, "'})]),
        Reply(calls=[Call("bash", {"command": "python3 main.py"}), Call("nonexistent_tool", {})]),
        Reply(text="Done."),
    )
    code, out, err = await run_cli(
        "run", "--model", "fake/fake-large", "--format", "jsonl", "--yolo", "do the thing", cwd=repo
    )
    assert code == 0, err
    got = normalise(out, repo)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(got)
    assert got == GOLDEN.read_text()
