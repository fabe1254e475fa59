"""skill: load reusable instructions from .codetether/skills/NAME.md."""

import re
from pathlib import Path
from typing import Annotated

import msgspec

from ..paths import config_dir
from .base import ToolError
from .context import ToolContext

NAME = "skill"
KIND = "read"
_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(description="Skill name: the file name without .md")]


def skill_dirs(ctx: ToolContext) -> list[Path]:
    """Project skills first (they win), then the user's."""
    return [ctx.workspace.root / ".codetether" / "skills", config_dir() / "skills"]


def available(ctx: ToolContext) -> list[str]:
    names = {p.stem for d in skill_dirs(ctx) if d.is_dir() for p in d.glob("*.md")}
    return sorted(names)


async def run(params: Params, ctx: ToolContext) -> str:
    if not _VALID.match(params.name):
        raise ToolError(f"invalid skill name {params.name!r}", "use letters, digits, '-', '_' and '.'")
    for directory in skill_dirs(ctx):
        path = directory / f"{params.name}.md"
        if path.is_file():
            return f"# Skill: {params.name}\n\n{path.read_text('utf-8', errors='replace').strip()}"
    names = ", ".join(available(ctx)) or "none (add .codetether/skills/NAME.md)"
    raise ToolError(f"no skill named {params.name!r}", f"available skills: {names}")
