"""Making a loaded history valid again after the process died mid-step.

A process killed (or a machine that lost power) while tools ran leaves an assistant turn whose tool
calls have no results. Every provider refuses such a history ("user turn arrived while tool calls
are unanswered"), so the session could never be continued. On load each unanswered call gets a
result saying the process stopped, placed right after the turn that made it; a result that answers
no call is dropped. A history that needs nothing is returned unchanged.
"""

from ..providers.types import Message, ToolCall

INTERRUPTED = "interrupted — the process stopped before this call finished"


def repair(messages: list[Message]) -> list[Message]:
    """``messages`` with every tool call answered and every tool result answering a call."""
    out: list[Message] = []
    unanswered: list[ToolCall] = []

    def close_turn() -> None:
        out.extend(Message.tool_result(call, INTERRUPTED, is_error=True) for call in unanswered)
        unanswered.clear()

    for message in messages:
        if message.role == "tool":
            call = next((c for c in unanswered if c.id == message.tool_call_id), None)
            if call is not None:
                unanswered.remove(call)
                out.append(message)
            continue
        close_turn()
        out.append(message)
        if message.role == "assistant":
            unanswered.extend(message.tool_calls)
    close_turn()
    return out
