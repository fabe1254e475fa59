"""Folding a stream of events back into a Response (what ``complete`` does over a stream)."""

from collections.abc import AsyncIterator, Iterable

from .types import (
    Done,
    Event,
    Message,
    Part,
    Response,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolCall,
    ToolCallEnd,
    Usage,
    UsageEvent,
)


class ResponseBuilder:
    """Accumulates events; ``result()`` gives the Response once ``Done`` was seen."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.signature: str | None = None
        self.calls: dict[int, ToolCall] = {}
        self.usage = Usage()
        self.done: Done | None = None

    def add(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self.text.append(event.text)
        elif isinstance(event, ThinkingDelta):
            self.thinking.append(event.text)
            self.signature = event.signature or self.signature
        elif isinstance(event, ToolCallEnd):
            self.calls[event.index] = event.call
        elif isinstance(event, UsageEvent):
            self.usage = event.usage
        elif isinstance(event, Done):
            self.done = event

    def result(self) -> Response:
        if self.done is None:
            raise RuntimeError("stream ended without a Done event")
        content: list[Part] = []
        if self.thinking or self.signature:
            content.append(ThinkingPart(text="".join(self.thinking), signature=self.signature))
        if self.text:
            content.append(TextPart(text="".join(self.text)))
        calls = [self.calls[i] for i in sorted(self.calls)]
        return Response(
            message=Message(role="assistant", content=content, tool_calls=calls),
            usage=self.usage,
            stop_reason=self.done.stop_reason,
            model=self.done.model,
        )


def from_events(events: Iterable[Event]) -> Response:
    builder = ResponseBuilder()
    for event in events:
        builder.add(event)
    return builder.result()


async def collect(stream: AsyncIterator[Event]) -> Response:
    builder = ResponseBuilder()
    async for event in stream:
        builder.add(event)
    return builder.result()
