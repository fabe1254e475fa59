"""A deadline for request headers: connections that do not finish them in time are closed (slowloris).

aiohttp has no header timeout. A client that connects and then sends one header line every few
seconds holds its connection, and the server's buffers, for as long as it likes; its only timer,
``keepalive_timeout``, runs between requests and defaults to an hour. :class:`HeaderDeadlineSite`
is a ``TCPSite`` whose connections must end their first request's headers (the blank line) within
``timeout`` seconds of connecting; the runner's ``keepalive_timeout`` is set to the same value
(:func:`runner_options`), which closes a kept-alive connection whose next request has not fully
arrived that long after the previous response.
"""

import asyncio
import logging

from aiohttp import web

log = logging.getLogger(__name__)


def runner_options(timeout: float) -> dict[str, float]:
    """``web.AppRunner`` options that bound the wait for every request after a connection's first."""
    return {"keepalive_timeout": timeout}


class _HeaderDeadline(asyncio.Protocol):
    """Passes everything to aiohttp's protocol; closes the connection if no header block has ended by
    the deadline. Only the bytes up to the first blank line are looked at."""

    def __init__(self, inner: asyncio.Protocol, timeout: float) -> None:
        self._inner = inner
        self._timeout = timeout
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._expire)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._timer is not None:
            seen = (self._tail + data).replace(b"\r", b"")  # HTTP parsers also accept bare-LF line ends
            if b"\n\n" in seen:
                self._timer.cancel()
                self._timer = None
            else:
                self._tail = seen[-1:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def _expire(self) -> None:
        self._timer = None
        if self._transport is not None and not self._transport.is_closing():
            log.debug("closing a connection that sent no complete request headers in %.0f s", self._timeout)
            self._transport.close()


class HeaderDeadlineSite(web.TCPSite):
    """``web.TCPSite`` with a header deadline on every connection it accepts."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, *, header_timeout: float) -> None:
        super().__init__(runner, host, port)
        self.header_timeout = header_timeout

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner; TCPSite.start would bind
        server = self._runner.server
        assert server is not None, "the runner must be set up first"
        timeout = self.header_timeout
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _HeaderDeadline(server(), timeout),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        self._bound_port = self._server.sockets[0].getsockname()[1] if self._server.sockets else self._port
