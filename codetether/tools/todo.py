"""The session's todo list, shared by todo_read and todo_write."""

from typing import Annotated, Literal

import msgspec


class Todo(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: Annotated[str, msgspec.Meta(description="Short stable identifier")]
    content: Annotated[str, msgspec.Meta(description="What to do")]
    status: Annotated[
        Literal["pending", "in_progress", "completed", "cancelled"], msgspec.Meta(description="Current state")
    ] = "pending"
    priority: Annotated[Literal["high", "medium", "low"], msgspec.Meta(description="Importance")] = "medium"


def render(todos: list[Todo]) -> str:
    if not todos:
        return "(no todos)"
    marks = {"pending": "[ ]", "in_progress": "[~]", "completed": "[x]", "cancelled": "[-]"}
    return "\n".join(f"{marks[t.status]} {t.id}: {t.content} ({t.priority})" for t in todos)
