"""Fixtures for the TUI tests: a private tmux terminal, and a config pointing at the fake LLM."""

from pathlib import Path

import pytest

from tests.fakes.llm import FakeLLM

from .tmux import Terminal, require_tmux


def configure(config_file: Path, llm: FakeLLM, extra: str = "") -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[default]\nprovider = "fake"\nmodel = "fake-large"\n\n'
        f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\nmodels = ["fake-large", "fake-small"]\n{extra}'
    )


async def answered(term: Terminal, text: str) -> str:
    """Wait until ``text`` is on screen and the run has ended (the status line says idle)."""
    return await term.wait_for(lambda s: text in s and " idle" in s.splitlines()[-1])


@pytest.fixture
async def term(git_repo: Path):
    require_tmux()
    terminal = Terminal(git_repo)
    yield terminal
    await terminal.close()
