"""A provider that echoes the API key in its error ("Incorrect API key provided: ...") leaks it nowhere.

The fake LLM server answers 401 with the request's own key in the message, as OpenAI does. The key
has no well-known shape (no ``sk-`` prefix), so only the provider's registered key can mask it. Both
runs are real processes: ``codetether run --format jsonl`` and ``codetether serve`` with the real
agent executor driven over A2A JSON-RPC; afterwards no byte of any file they wrote holds the key.
"""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from codetether.secrets.redaction import MASK
from tests.a2a.drivers import JsonRpcDriver
from tests.a2a.serve import ServeProcess
from tests.fakes.llm import FakeLLM, Fault

KEY = "ctk-live-4f9a2c7e1b8d3f6a0c5e9b2d"  # deliberately not shaped like any known token
ENV = {"FAKE_API_KEY": KEY}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def configure(config_file: Path, llm: FakeLLM) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[default]\nprovider = "fake"\nmodel = "fake-large"\n\n'
        f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n'
    )


def files_holding(root: Path, secret: str) -> list[str]:
    """Every file under ``root`` whose bytes contain ``secret`` (session files, SQLite and its WAL, logs)."""
    needle = secret.encode()
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


async def test_an_echoed_key_is_in_no_output_of_run_jsonl_nor_its_session(llm, repo, config_file, tmp_path):
    configure(config_file, llm)
    llm.script(Fault("status", status=401, echo_key=True))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "codetether", "run", "--format", "jsonl", "hello"),
        cwd=repo,
        env={**os.environ, **ENV},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 1, stderr
    assert llm.requests[0].headers["Authorization"] == f"Bearer {KEY}"  # the fake did see, and echo, the key
    done = [json.loads(line) for line in stdout.splitlines() if line.strip()][-1]
    assert done["status"] == "error" and f"Incorrect API key provided: {MASK}" in done["error"]
    assert KEY not in stdout and KEY not in stderr
    assert files_holding(tmp_path, KEY) == []


async def test_an_echoed_key_is_not_in_the_a2a_task_status_nor_the_task_store(llm, repo, config_file, tmp_path):
    configure(config_file, llm)
    llm.script(Fault("status", status=401, echo_key=True))
    serve = ServeProcess(repo, extra_env=ENV, executor=None).start()
    try:
        async with aiohttp.ClientSession() as session:
            client = JsonRpcDriver("1.0", serve.http_url, session)
            task = await client.send("hello")
            stored = await client.get(task.id)
        assert serve.stop() == 0, serve.stderr()
    finally:
        serve.kill()
    assert len(llm.requests) == 1
    for view in (task, stored):
        assert view.state == "failed"
        assert f"Incorrect API key provided: {MASK}" in view.status_text and KEY not in json.dumps(view.raw)
    assert KEY not in serve.stderr()
    assert list(tmp_path.rglob("tasks.sqlite3")), "the task store is where this test expects it"
    assert files_holding(tmp_path, KEY) == []
