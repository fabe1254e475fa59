"""A provider that answers from a script, in-process: for tests, demos and benchmarks (no network).

The script is a list of replies used in order, or a function of the request (so concurrent agents
can each be answered by what they ask). A reply is a Response, plain text, or a list of ToolCalls.
"""

import itertools
from collections.abc import AsyncIterator, Callable, Sequence

from .assemble import collect
from .errors import BadRequestError
from .types import (
    Done,
    Event,
    Message,
    Request,
    Response,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageEvent,
)

Reply = Response | str | list[ToolCall]
_ids = itertools.count(1)


def as_response(reply: Reply, model: str) -> Response:
    if isinstance(reply, Response):
        return reply
    if isinstance(reply, str):
        message = Message.assistant(reply)
    else:
        message = Message.assistant(
            "", [c if c.id else ToolCall(id=f"call_s{next(_ids)}", name=c.name, arguments=c.arguments) for c in reply]
        )
    stop = "tool_use" if message.tool_calls else "end_turn"
    chars = sum(len(m) for m in (message.text, *(c.arguments for c in message.tool_calls)))
    return Response(
        message=message, usage=Usage(input_tokens=0, output_tokens=chars // 4 + 1), stop_reason=stop, model=model
    )


def to_events(response: Response) -> list[Event]:
    events: list[Event] = []
    if response.text:
        events.append(TextDelta(text=response.text))
    for index, call in enumerate(response.message.tool_calls):
        events += [
            ToolCallStart(index=index, id=call.id, name=call.name),
            ToolCallDelta(index=index, arguments=call.arguments),
            ToolCallEnd(index=index, call=call),
        ]
    events += [UsageEvent(usage=response.usage), Done(stop_reason=response.stop_reason, model=response.model)]
    return events


class ScriptedProvider:
    """Replays replies; raises BadRequestError when the script runs out (a test that asked too much)."""

    def __init__(self, script: Sequence[Reply] | Callable[[Request], Reply], name: str = "scripted") -> None:
        self.name = name
        if callable(script):
            self._next: Callable[[Request], Reply] = script
        else:
            replies = iter(script)
            self._next = lambda request: next(replies)
        self.requests: list[Request] = []

    def _reply(self, request: Request) -> Response:
        self.requests.append(request)
        try:
            reply = self._next(request)
        except StopIteration:
            raise BadRequestError(self.name, "the script has no more replies") from None
        return as_response(reply, request.model)

    async def stream(self, request: Request) -> AsyncIterator[Event]:
        for event in to_events(self._reply(request)):
            yield event

    async def complete(self, request: Request) -> Response:
        return await collect(self.stream(request))
