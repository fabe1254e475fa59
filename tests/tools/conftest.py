"""Tools run through the real ToolRunner (validation, permissions, truncation) in a temp workspace."""

import itertools
import subprocess
from pathlib import Path

import msgspec
import pytest

from codetether.config import Config
from codetether.providers.types import ToolCall
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.context import ToolContext
from codetether.tools.registry import builtin_tools
from codetether.tools.runner import ToolRunner
from codetether.tools.services import Services

_ids = itertools.count(1)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


class Harness:
    def __init__(
        self, workspace: Path, mode: AccessMode = AccessMode.FULL, rules=None, ask=None, settings=None, question=None
    ) -> None:
        self.events: list = []
        self.context = ToolContext.local(
            workspace,
            PermissionPolicy(mode, rules or {}),
            ask=ask,
            services=Services(settings=settings or Config(), on_event=self.events.append, ask_question=question),
        )
        self.runner = ToolRunner(builtin_tools(), self.context)

    async def call(self, tool: str, /, **arguments):
        call = ToolCall(id=f"t{next(_ids)}", name=tool, arguments=msgspec.json.encode(arguments).decode())
        return await self.runner.run(call)

    async def ok(self, tool: str, /, **arguments) -> str:
        outcome = await self.call(tool, **arguments)
        assert not outcome.is_error, outcome.output
        return outcome.output

    async def error(self, tool: str, /, **arguments) -> str:
        outcome = await self.call(tool, **arguments)
        assert outcome.is_error, outcome.output
        return outcome.output


@pytest.fixture
async def tools(workspace: Path):
    harness = Harness(workspace)
    yield harness
    await harness.context.aclose()
