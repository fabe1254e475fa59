"""todo_read: show the session's todo list."""

import msgspec

from .context import ToolContext
from .todo import render

NAME = "todo_read"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True):
    pass


async def run(params: Params, ctx: ToolContext) -> str:
    return render(ctx.state.todos)
