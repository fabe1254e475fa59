"""Event streams handed from the request handler to the transports.

A stream is an object, not an async generator, on purpose: a transport may drop a stream before
reading from it (the client hung up while the response headers were being sent), and an async
generator that never started never runs its ``finally``. ``aclose()`` here always unsubscribes.
With ``heartbeat`` set, ``__anext__`` returns ``None`` after that many quiet seconds, so an SSE
adapter can write a keep-alive comment and find out that the client went away.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

END = object()  # closes a subscriber's queue


class EventStream:
    """The updates of one task: ``first`` (the task as it stands), then whatever ``queue`` delivers."""

    def __init__(self, first: Any, queue: asyncio.Queue, on_close: Callable[[], None], *, done: bool = False) -> None:
        self._first = first
        self._queue = queue
        self._on_close = on_close
        self._ended = done and queue.empty()
        self._closed = False
        self.heartbeat: float | None = None

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> Any:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        if self._ended or self._closed:
            await self.aclose()
            raise StopAsyncIteration
        try:
            event = (
                await asyncio.wait_for(self._queue.get(), self.heartbeat) if self.heartbeat else await self._queue.get()
            )
        except TimeoutError:
            return None
        if event is END:
            self._ended = True
            await self.aclose()
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._on_close()


class MappedStream:
    """``source`` with ``convert`` applied to each event (heartbeats pass through as ``None``)."""

    def __init__(self, source: Any, convert: Callable[[Any], Any]) -> None:
        self._source = source
        self._convert = convert

    @property
    def heartbeat(self) -> float | None:
        return getattr(self._source, "heartbeat", None)

    @heartbeat.setter
    def heartbeat(self, seconds: float | None) -> None:
        self._source.heartbeat = seconds

    def __aiter__(self) -> "MappedStream":
        return self

    async def __anext__(self) -> Any:
        event = await self._source.__anext__()
        return None if event is None else self._convert(event)

    async def aclose(self) -> None:
        closer: Callable[[], Awaitable[None]] | None = getattr(self._source, "aclose", None)
        if closer is not None:
            await closer()
