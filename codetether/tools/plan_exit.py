"""plan_exit: leave plan mode, stating the plan."""

from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext

NAME = "plan_exit"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    plan: Annotated[str, msgspec.Meta(description="The plan you will now carry out")] = ""


async def run(params: Params, ctx: ToolContext) -> str:
    if not ctx.state.plan_mode:
        raise ToolError("not in plan mode")
    ctx.state.plan_mode = False
    return "plan mode off: edits and commands are allowed again" + (f"\nPlan:\n{params.plan}" if params.plan else "")
