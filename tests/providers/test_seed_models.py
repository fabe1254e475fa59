"""`codetether models` shows the original CodeTether's provider -> default model table, and ours besides."""

import json

from codetether.providers.catalog import builtin_models
from codetether.providers.registry import BUILTINS

# The original's README "Supported Providers" table.
SEED_DEFAULTS = {
    "moonshotai": "kimi-k2.5",
    "github-copilot": "claude-opus-4",
    "openrouter": "stepfun/step-3.5-flash:free",
    "google": "gemini-2.5-pro",
    "anthropic": "claude-sonnet-4-20250514",
    "stepfun": "step-3.5-flash",
}


def test_every_provider_default_is_a_catalog_row():
    rows = {(m.provider, m.id) for m in builtin_models()}
    assert {(name, builtin.default_model) for name, builtin in BUILTINS.items()} <= rows


def test_models_marks_the_seed_default_per_provider_and_keeps_ours(cli):
    result = cli("models", "--json")
    assert result.code == 0, result.stderr
    defaults = {m["provider"]: m["id"] for m in json.loads(result.stdout) if m["default"]}
    assert {name: defaults.get(name) for name in SEED_DEFAULTS} == SEED_DEFAULTS
    listed = {(m["provider"], m["id"]) for m in json.loads(result.stdout)}
    assert {("openrouter", "openai/gpt-5"), ("github-copilot", "gpt-4.1")} <= listed  # ours, as additions


def test_models_table_has_a_default_column(cli):
    lines = cli("models", "--provider", "openrouter").stdout.splitlines()
    assert "default" in lines[0].split()
    marked = [line.split()[1] for line in lines[1:] if line.split()[-1] == "*"]
    assert marked == ["stepfun/step-3.5-flash:free"]
