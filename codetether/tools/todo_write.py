"""todo_write: replace the session's todo list."""

from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .todo import Todo, render

NAME = "todo_write"
KIND = "read"  # it changes only the agent's own notes, never the machine


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    todos: Annotated[list[Todo], msgspec.Meta(description="The complete new list")]


async def run(params: Params, ctx: ToolContext) -> str:
    ids = [t.id for t in params.todos]
    if len(ids) != len(set(ids)):
        raise ToolError("todo ids must be unique")
    if sum(t.status == "in_progress" for t in params.todos) > 1:
        raise ToolError("only one todo can be in_progress at a time")
    ctx.state.todos = list(params.todos)
    return render(ctx.state.todos)
