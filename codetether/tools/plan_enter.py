"""plan_enter: switch to plan mode, where tools that change anything are refused."""

import msgspec

from .context import ToolContext

NAME = "plan_enter"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True):
    pass


async def run(params: Params, ctx: ToolContext) -> str:
    ctx.state.plan_mode = True
    return "plan mode on: investigate and write a plan; edits and commands are refused until plan_exit"
