"""A small HTTP/1.1 client on asyncio streams: what the model providers need, and nothing more.

Why not aiohttp here: importing aiohttp costs ~100 ms, much of it OpenSSL reading the CA bundle for
two TLS contexts it builds at import, and that sat on the path to every run's first model request.
The providers need little: a POST with a body, the status and headers, and the body as it arrives
(SSE and AWS event streams). This client does that with keep-alive pooling, chunked and
content-length bodies, gzip/deflate, and one TLS context made on the first https request.
aiohttp stays for the servers and the web tools. Timeouts other than connecting are the caller's
(``providers.wire`` times each wait against its own setting).
"""

import asyncio
import contextlib
import re
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    import ssl

MAX_HEADER_BYTES = 64 * 1024  # the status line and headers together; the trailers of a chunked body too
MAX_INTERIM_ANSWERS = 10  # 1xx answers before the real one
_DIGITS = re.compile(rb"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
READ_SIZE = 64 * 1024
IDLE_KEEPALIVE = 15.0  # seconds a pooled connection may sit unused (servers commonly close at 5-60 s)
MAX_IDLE_PER_HOST = 8


class TransportError(Exception):
    """The connection could not be made, broke, or the server's answer was not HTTP/1.x."""


class ConnectTimeout(TransportError):
    """No connection (TCP and TLS) within the time allowed."""


class Headers(Mapping[str, str]):
    """Response headers, looked up case-insensitively; repeated fields are joined with ", "."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            if key in self._items:
                value = f"{self._items[key][1]}, {value}"
            self._items[key] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)


_tls: "ssl.SSLContext | None" = None


def _tls_context() -> "ssl.SSLContext":
    global _tls
    if _tls is None:
        import ssl  # on the first https request: a loopback or plain-http provider never needs it

        _tls = ssl.create_default_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR like every OpenSSL client
    return _tls


# (scheme, host, port, proxy URL or ""): connections are pooled per target and route.
_Key = tuple[str, str, int, str]


class _Connection:
    def __init__(self, key: _Key, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.key = key
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class Response:
    """One answer; read its body with :meth:`readany` or :meth:`read`, then :meth:`release` it."""

    def __init__(
        self,
        client: "HTTPClient",
        connection: _Connection,
        status: int,
        reason: str,
        headers: Headers,
        *,
        length: int | None,
        keep_alive: bool = True,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self._client = client
        self._connection: _Connection | None = connection
        self._reader = connection.reader
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self._remaining: int | None = None if self._chunked else length
        self._chunk_left = 0
        self._done = status in (204, 304) or 100 <= status < 200 or self._remaining == 0
        self._reusable = (
            keep_alive and headers.get("connection", "").lower() != "close" and (self._chunked or length is not None)
        )
        encoding = headers.get("content-encoding", "").lower()
        self._inflate = zlib.decompressobj(47) if encoding in ("gzip", "deflate", "x-gzip") else None
        self._flushed = False
        if self._done:
            self.release()

    async def __aenter__(self) -> "Response":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()

    async def readany(self) -> bytes:
        """The next piece of the body as it arrives (at most 64 KiB); b"" once it has all been read."""
        if self._inflate is None:
            return b"" if self._done else await self._read_raw()
        inflate = self._inflate
        try:
            while True:
                # Bounded output per call: a small compressed body may inflate to gigabytes.
                if inflate.unconsumed_tail:
                    data = inflate.decompress(inflate.unconsumed_tail, READ_SIZE)
                elif not self._done:
                    raw = await self._read_raw()
                    data = inflate.decompress(raw, READ_SIZE) if raw else b""
                elif not self._flushed:
                    self._flushed = True
                    data = inflate.flush()
                else:
                    return b""
                if data:
                    return data
        except zlib.error as exc:
            self._fail()
            encoding = self.headers.get("content-encoding")
            raise TransportError(f"the body is not valid {encoding} data ({exc})") from exc

    async def read(self) -> bytes:
        parts = []
        while chunk := await self.readany():
            parts.append(chunk)
        return b"".join(parts)

    def release(self) -> None:
        """Done with this answer: the connection is pooled if the body was read whole, else closed."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._done and self._reusable:
            self._client._put(connection)
        else:
            connection.close()

    async def _read_raw(self) -> bytes:
        try:
            if self._chunked:
                return await self._read_chunk()
            size = READ_SIZE if self._remaining is None else min(READ_SIZE, self._remaining)
            data = await self._reader.read(size)
            if self._remaining is not None:
                if not data:
                    raise TransportError(f"the connection closed {self._remaining} bytes before the body's end")
                self._remaining -= len(data)
            if not data or self._remaining == 0:
                self._finish()
            return data
        except TransportError:
            self._fail()
            raise
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            self._fail()
            raise TransportError(f"the connection broke while reading the body ({type(exc).__name__}: {exc})") from exc

    async def _read_chunk(self) -> bytes:
        if self._chunk_left == 0:
            line = await self._reader.readuntil(b"\r\n")
            token = line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(token):
                raise TransportError(f"a chunk's size is not a hexadecimal number: {token[:40]!r}")
            size = int(token, 16)
            if size == 0:
                trailers = 0
                while (trailer := await self._reader.readuntil(b"\r\n")) != b"\r\n":
                    trailers += len(trailer)
                    if trailers > MAX_HEADER_BYTES:
                        raise TransportError("the trailers after the body are over 64 KiB")
                self._finish()
                return b""
            self._chunk_left = size
        data = await self._reader.read(min(READ_SIZE, self._chunk_left))
        if not data:
            raise TransportError("the connection closed in the middle of a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and await self._reader.readexactly(2) != b"\r\n":
            raise TransportError("a chunk did not end with CRLF")
        return data

    def _finish(self) -> None:
        self._done = True
        self.release()

    def _fail(self) -> None:
        self._reusable = False
        self._done = True
        self.release()


class HTTPClient:
    """Requests over pooled keep-alive connections, for one event loop."""

    def __init__(self, *, user_agent: str) -> None:
        self.user_agent = user_agent
        self._idle: dict[_Key, list[_Connection]] = {}
        self.closed = False

    async def post(
        self,
        url: str,
        *,
        data: bytes,
        headers: Mapping[str, str],
        connect_timeout: float,
        proxy: str | None = None,
    ) -> Response:
        return await self.request("POST", url, body=data, headers=headers, connect_timeout=connect_timeout, proxy=proxy)

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str],
        connect_timeout: float,
        proxy: str | None = None,
    ) -> Response:
        """``proxy``: an ``http://[user:password@]host:port`` proxy; https goes through it in a CONNECT tunnel."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"not an http(s) URL: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, parts.hostname, port, proxy or "")
        default_port = port == (443 if parts.scheme == "https" else 80)
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        # Model ids end up in paths (Gemini, Bedrock): escape what a request line cannot carry, keep escapes.
        target = quote(parts.path or "/", safe=_PATH_SAFE)
        if parts.query:
            target += "?" + quote(parts.query, safe=_QUERY_SAFE)
        fields = {
            "user-agent": ("User-Agent", self.user_agent),
            "accept-encoding": ("Accept-Encoding", "gzip, deflate"),
        }
        for name, value in headers.items():  # the caller's value wins; Host and Content-Length are ours
            if any(c in name or c in value for c in "\r\n\0"):
                raise TransportError(f"the header {name!r} holds a line break; check the provider's configured headers")
            if name.lower() not in ("host", "content-length", "transfer-encoding"):
                fields[name.lower()] = (name, value)
        authority = host if default_port else f"{host}:{port}"
        if proxy and parts.scheme == "http":  # a plain-http request through a proxy names its whole URL
            target = f"http://{authority}{target}"
            if credentials := _proxy_credentials(proxy):
                fields["proxy-authorization"] = ("Proxy-Authorization", credentials)
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {authority}",
            *(f"{name}: {value}" for name, value in fields.values()),
            f"Content-Length: {len(body)}",
        ]
        try:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise TransportError(f"a header holds characters HTTP cannot carry ({bad!r})") from exc
        # A pooled connection the server has meanwhile closed fails before any byte of an answer: the
        # request is sent once more on a new connection. After any byte of an answer, never again.
        while True:
            connection, reused = await self._get(key, connect_timeout)
            try:
                try:
                    connection.writer.write(head + body)
                    await connection.writer.drain()
                except OSError as exc:
                    raise _StaleConnection from exc
                return await self._answer(connection)
            except _StaleConnection as exc:
                connection.close()
                if not reused:
                    cause = exc.__cause__ or "it closed the connection"
                    raise TransportError(f"the server did not answer ({cause})") from None
            except OSError as exc:
                connection.close()
                raise TransportError(f"the connection broke: {exc.strerror or exc}") from exc
            except BaseException:
                connection.close()
                raise

    async def _answer(self, connection: _Connection) -> Response:
        for _ in range(MAX_INTERIM_ANSWERS):
            response = await self._one_answer(connection)
            if response is not None:
                return response
        raise TransportError(f"the server sent over {MAX_INTERIM_ANSWERS} interim (1xx) answers")

    async def _one_answer(self, connection: _Connection) -> Response | None:
        """The answer on ``connection``, or None after an interim (1xx) one."""
        reader = connection.reader
        try:
            status_line = await reader.readuntil(b"\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _StaleConnection from exc
            raise TransportError("the server sent a truncated status line") from exc
        except ConnectionResetError as exc:  # before any byte of the answer
            raise _StaleConnection from exc
        try:
            version, status, reason = [*status_line.decode("latin-1").rstrip("\r\n").split(" ", 2), ""][:3]
            if not version.startswith("HTTP/1."):
                raise ValueError(version)
            code = int(status)
            pairs, size = [], 0
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                size += len(line)
                if size > MAX_HEADER_BYTES:
                    raise TransportError("the response headers are over 64 KiB")
                name, _, value = line.decode("latin-1").partition(":")
                pairs.append((name.strip(), value.strip()))
        except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise TransportError(f"the server's answer is not HTTP/1.x ({type(exc).__name__})") from exc
        if code == 101:
            raise TransportError("the server switched protocols (101), which a model API never asks for")
        if 100 <= code < 200:  # an interim answer (100 Continue): the real one follows
            return None
        headers = Headers(pairs)
        length = _content_length(headers)
        return Response(self, connection, code, reason, headers, length=length, keep_alive=version != "HTTP/1.0")

    async def _get(self, key: _Key, connect_timeout: float) -> tuple[_Connection, bool]:
        pool = self._idle.get(key, [])
        now = time.monotonic()
        while pool:
            connection = pool.pop()
            if now - connection.idle_since < IDLE_KEEPALIVE and not connection.reader.at_eof():
                return connection, True
            connection.close()
        scheme, hostname, port, proxy = key
        tls = _tls_context() if scheme == "https" else None
        where = f"{hostname}:{port}" + (f" through the proxy {_without_credentials(proxy)}" if proxy else "")
        try:
            async with asyncio.timeout(connect_timeout):
                if not proxy:
                    reader, writer = await asyncio.open_connection(
                        hostname, port, ssl=tls, server_hostname=hostname if tls else None, limit=MAX_HEADER_BYTES
                    )
                else:
                    reader, writer = await _via_proxy(proxy, hostname, port, tls)
        except TimeoutError as exc:
            raise ConnectTimeout(f"no connection to {where} within {connect_timeout:g} s") from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            raise TransportError(f"cannot connect to {where}: {exc.strerror or exc}") from exc
        return _Connection(key, reader, writer), False

    def _put(self, connection: _Connection) -> None:
        if self.closed:
            connection.close()
            return
        pool = self._idle.setdefault(connection.key, [])
        if len(pool) >= MAX_IDLE_PER_HOST:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        pool.append(connection)

    async def close(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, {}
        for pool in idle.values():
            for connection in pool:
                connection.close()
                with contextlib.suppress(Exception):
                    await connection.writer.wait_closed()


async def _via_proxy(
    proxy: str, hostname: str, port: int, tls: "ssl.SSLContext | None"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the proxy; for https, a CONNECT tunnel through it with TLS to the target inside."""
    parts = urlsplit(proxy)
    if parts.scheme != "http" or not parts.hostname:
        raise TransportError(f"only http:// proxies are supported, not {_without_credentials(proxy)}")
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80, limit=MAX_HEADER_BYTES)
    if tls is None:
        return reader, writer
    authority = f"[{hostname}]:{port}" if ":" in hostname else f"{hostname}:{port}"
    request = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
    if credentials := _proxy_credentials(proxy):
        request += f"Proxy-Authorization: {credentials}\r\n"
    writer.write((request + "\r\n").encode("latin-1"))
    await writer.drain()
    try:
        status = (await reader.readuntil(b"\r\n")).split(b" ", 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        writer.close()
        raise TransportError(f"the proxy {_without_credentials(proxy)} broke off the tunnel request") from exc
    if len(status) < 2 or not status[1].startswith(b"2"):
        writer.close()
        code = status[1].decode("latin-1", "replace") if len(status) > 1 else "?"
        raise TransportError(f"the proxy {_without_credentials(proxy)} refused the tunnel to {authority} ({code})")
    await writer.start_tls(tls, server_hostname=hostname)
    return reader, writer


def _proxy_credentials(proxy: str) -> str | None:
    """A Basic ``Proxy-Authorization`` value from the proxy URL's user:password, if it has one."""
    import base64
    from urllib.parse import unquote

    parts = urlsplit(proxy)
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _without_credentials(proxy: str) -> str:
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 80}" if parts.hostname else proxy


def _content_length(headers: Headers) -> int | None:
    """The body's length; repeated equal values are one (RFC 9110), anything else is refused."""
    raw = headers.get("content-length")
    if raw is None:
        return None
    values = {value.strip().encode("latin-1") for value in raw.split(",")}
    if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
        raise TransportError(f"the answer's Content-Length is not a number: {raw[:40]!r}")
    return int(next(iter(values)))


class _StaleConnection(Exception):
    """A reused connection ended before any byte of the answer."""
