"""prd: draft a PRD for Ralph from the stories the model worked out, or validate one, with every problem listed.

Drafting fills in what the model cannot know reliably: the repository's quality checks (the same
detection as ``codetether ralph create-prd``), the branch name and timestamps; the PRD is checked
exactly as ``ralph run`` checks it before it is written, so a drafted file always runs.
"""

import asyncio
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from ..ralph.prd import Prd, UserStory, encode, now
from ..ralph.template import slug
from ..ralph.validate import check_text, semantic_errors
from .base import ToolError
from .context import ToolContext
from .files import write_atomic
from .protected import approve_writes

NAME = "prd"
KIND = "edit"


class DraftStory(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: Annotated[str, msgspec.Meta(description="Story id, e.g. US-001 (letters, digits, '.', '_', '-')")]
    title: Annotated[str, msgspec.Meta(description="A short title")]
    description: Annotated[str, msgspec.Meta(description="What to build and why")] = ""
    acceptance_criteria: Annotated[list[str], msgspec.Meta(description="Observable behaviours that show it done")] = []
    depends_on: Annotated[list[str], msgspec.Meta(description="Ids of stories that must pass first")] = []
    priority: Annotated[int, msgspec.Meta(ge=0, le=255, description="Lower runs first")] = 1
    complexity: Annotated[int, msgspec.Meta(ge=0, le=255, description="1 (trivial) to 5 (hard)")] = 3


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: Annotated[
        Literal["draft", "validate"],
        msgspec.Meta(description="draft: write a PRD from feature and stories; validate: check an existing PRD"),
    ]
    path: Annotated[str, msgspec.Meta(description="The PRD file (default prd.json)")] = "prd.json"
    feature: Annotated[str, msgspec.Meta(description="draft: the feature's name")] = ""
    project: Annotated[str, msgspec.Meta(description="draft: the project's name")] = ""
    stories: Annotated[list[DraftStory], msgspec.Meta(description="draft: the user stories, small and testable")] = []
    technical_requirements: Annotated[list[str], msgspec.Meta(description="draft: constraints for every story")] = []
    overwrite: Annotated[bool, msgspec.Meta(description="draft: replace an existing file")] = False


def subject(params: Params) -> str:
    return params.path


def _summary(prd: Prd) -> str:
    checks = ", ".join(f"{name}: `{command}`" for name, command in prd.quality_checks.items()) or "none"
    lines = [f"{len(prd.user_stories)} stories ({prd.passed} pass), branch {prd.branch_name or '(current)'}"]
    lines += [
        f"- {s.id} {s.title}" + (f" [after {', '.join(s.depends_on)}]" if s.depends_on else "")
        for s in prd.user_stories
    ]
    lines.append(f"quality checks: {checks}")
    return "\n".join(lines)


async def run(params: Params, ctx: ToolContext) -> str:
    if params.action == "validate":
        path = await ctx.path(params.path)
        try:
            text = await asyncio.to_thread(path.read_text, "utf-8")
        except FileNotFoundError:
            raise ToolError(f"{params.path} does not exist", "draft one with action=draft") from None
        prd, problems = check_text(text, path.name)
        if prd is None:
            return f"{ctx.display(path)} is invalid ({len(problems)} problems):\n" + "\n".join(problems)
        return f"{ctx.display(path)} is valid: {_summary(prd)}"
    return await _draft(params, ctx)


async def _draft(params: Params, ctx: ToolContext) -> str:
    from ..ralph.detect import detect

    if not params.feature.strip() or not params.project.strip() or not params.stories:
        raise ToolError("a draft needs feature, project and at least one story")
    path = await ctx.path(params.path, for_write=True)
    if path.exists() and not params.overwrite:
        raise ToolError(f"{params.path} already exists", "pass overwrite=true to replace it, or another path")
    checks, found = await asyncio.to_thread(detect, ctx.workspace.root)
    stamp = now()
    prd = Prd(
        project=params.project,
        feature=params.feature,
        branch_name=f"feature/{slug(params.feature)}",
        user_stories=[msgspec.convert(msgspec.to_builtins(s), UserStory) for s in params.stories],
        technical_requirements=params.technical_requirements,
        quality_checks=checks,
        created_at=stamp,
        updated_at=stamp,
    )
    problems = semantic_errors(prd)
    if problems:
        hint = "" if found else " (no test/lint/build tooling was found in the workspace: add it first)"
        raise ToolError("the PRD would be invalid: " + "; ".join(problems) + hint)
    data = encode(prd)
    before = await asyncio.to_thread(_read, path)
    diff = await approve_writes(ctx, NAME, [(path, before, data.decode())])
    ctx.saw(path, await asyncio.to_thread(write_atomic, path, data))
    result = f"wrote {ctx.display(path)}: {_summary(prd)}\nrun it with the ralph tool or `codetether ralph run`"
    return f"{result}\n{diff}" if diff else result


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
