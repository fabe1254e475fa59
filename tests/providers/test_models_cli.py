"""`codetether models`: built-in table merged with live lists from configured providers."""

import asyncio
import json
import os
import sys

from tests.fakes.llm import FakeLLM


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codetether",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_models_merges_live_lists(llm: FakeLLM, config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        f'[providers.local]\nkind = "openai"\nbase_url = "{llm.url}/v1"\nmodels = ["pinned-model"]\n'
        f'[providers.claude-proxy]\nkind = "anthropic"\nbase_url = "{llm.url}"\n'
        f'[providers.gem]\nkind = "google"\nbase_url = "{llm.url}"\n'
    )
    env = {"CLAUDE_PROXY_API_KEY": "proxy-key-0123456789", "GEM_API_KEY": "gem-key-0123456789"}
    code, out, err = await run_cli("models", "--json", env=env)
    assert code == 0, err
    rows = {(m["provider"], m["id"]): m for m in json.loads(out)}
    assert rows[("local", "fake-large")]["source"] == "live"
    assert rows[("local", "pinned-model")]["source"] == "config"
    assert rows[("claude-proxy", "fake-small")]["source"] == "live"
    assert rows[("gem", "fake-large")]["context"] == 1048576
    assert rows[("openai", "gpt-5")]["input_price"] == 1.25

    code, table, _ = await run_cli("models", "--provider", "local", env=env)
    assert code == 0 and "fake-large" in table and "gpt-5" not in table
    assert table.splitlines()[0].split()[:2] == ["provider", "model"]


async def test_models_reports_an_unreachable_provider_and_goes_on(config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text('[providers.down]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    code, out, err = await run_cli("models", "--timeout", "2")
    assert code == 0
    assert "down: live list unavailable" in err and "gpt-5" in out


async def test_models_unknown_provider():
    code, _, err = await run_cli("models", "--provider", "nope")
    assert code == 1 and "unknown provider 'nope'" in err
