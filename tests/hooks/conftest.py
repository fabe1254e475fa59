"""A configured runtime for hook tests: the fake provider, full access, and hook scripts on disk."""

import json
import sys
import textwrap
from pathlib import Path

import pytest

from codetether.config import load_config
from codetether.providers.types import Message
from codetether.runtime import AgentSpec, Runtime


class Hooked:
    """Writes hook scripts and the user config that runs them, then runs one agent against the fake LLM."""

    def __init__(self, llm, repo: Path, config_file: Path, scripts: Path) -> None:
        self.llm = llm
        self.repo = repo
        self.config_file = config_file
        self.scripts = scripts
        self.hooks: list[str] = []
        self.notices: list[str] = []

    def script(self, name: str, body: str) -> list[str]:
        """A Python hook script; returns the argv that runs it."""
        path = self.scripts / f"{name}.py"
        path.write_text("import json, os, sys\n" + textwrap.dedent(body))
        return [sys.executable, str(path)]

    def add(self, event: str, command: str | list[str], *, matcher: str = "", timeout: float | None = None) -> None:
        lines = [f"[[hooks.{event}]]", f"command = {json.dumps(command)}"]
        if matcher:
            lines.append(f"matcher = {json.dumps(matcher)}")
        if timeout is not None:
            lines.append(f"timeout = {timeout}")
        self.hooks.append("\n".join(lines))

    def write_config(self) -> None:
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            f'[providers.fake]\nkind = "openai"\nbase_url = "{self.llm.url}/v1"\n\n'
            '[agent]\naccess_mode = "full"\n\n' + "\n\n".join(self.hooks) + "\n"
        )

    async def run(self, prompt: str = "go", environ: dict[str, str] | None = None, ask=None, **spec):
        self.write_config()
        loaded = load_config(cwd=self.repo)
        async with Runtime(loaded, notice=self.notices.append, environ=environ) as runtime:
            spec = AgentSpec(workspace=str(self.repo), model="fake/fake-large", plugins=False, **spec)
            run = runtime.agent(spec, ask=ask)
            return await run.run(Message.user(prompt))

    def request_text(self, index: int) -> str:
        """The whole request body as JSON text (what the model was sent)."""
        return json.dumps(self.llm.requests[index].body)

    def last_message(self, index: int) -> dict:
        return self.llm.requests[index].body["messages"][-1]


@pytest.fixture
def hooked(llm, git_repo, config_file, tmp_path) -> Hooked:
    scripts = tmp_path / "hook-scripts"
    scripts.mkdir()
    return Hooked(llm, git_repo, config_file, scripts)
