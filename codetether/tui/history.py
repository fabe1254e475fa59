"""A saved session's messages as the run events that would have shown them, so a resumed session
is drawn by the same views (and the same code) as a live one."""

from .. import events


def replay(messages) -> list[tuple[str, object]]:
    """("user", text) for prompts, ("event", RunEvent) for the rest; system messages are skipped."""
    out: list[tuple[str, object]] = []
    for message in messages:
        if message.role == "user":
            out.append(("user", message.text))
        elif message.role == "assistant":
            if message.text:
                out.append(("event", events.TextDelta(text=message.text)))
            for call in message.tool_calls:
                out.append(("event", events.ToolCallStarted(call_id=call.id, name=call.name, arguments=call.arguments)))
        elif message.role == "tool" and message.tool_call_id:
            out.append(
                (
                    "event",
                    events.ToolCallFinished(
                        call_id=message.tool_call_id,
                        name=message.name or "",
                        output=message.text,
                        is_error=message.is_error,
                        duration_ms=0.0,
                    ),
                )
            )
    return out
