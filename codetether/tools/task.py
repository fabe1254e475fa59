"""task: hand a self-contained piece of work to a sub-agent with a fresh context."""

from typing import Annotated

import msgspec

from .context import ToolContext

NAME = "task"
KIND = "delegate"  # runs other tools (each checked on its own); scheduled alone, never in parallel


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    description: Annotated[str, msgspec.Meta(description="A few words naming the sub-task")]
    prompt: Annotated[str, msgspec.Meta(description="Complete instructions; the sub-agent sees nothing else")]
    agent: Annotated[
        str, msgspec.Meta(description="A named agent to run it (e.g. explore, plan); omit for a general sub-agent")
    ] = ""


async def run(params: Params, ctx: ToolContext) -> str:
    return await ctx.services.sub_agent(params.description, params.prompt, params.agent or None)
