"""The providers' HTTP/1.1 client against real servers on loopback: an aiohttp app, and raw sockets
that answer exactly the bytes a test needs (split chunks, early closes, garbage, stale keep-alive)."""

import asyncio
import contextlib
import gzip
import shutil
import ssl
import subprocess
import sys
import textwrap

import pytest
from aiohttp import web

from codetether.providers.httpclient import ConnectTimeout, HTTPClient, TransportError


@pytest.fixture
async def client():
    http = HTTPClient(user_agent="test")
    yield http
    await http.close()


class RawServer:
    """Answers each connection with ``handler(reader, writer)``; counts connections."""

    def __init__(self, handler) -> None:
        self.handler = handler
        self.connections = 0

    async def __aenter__(self) -> str:
        async def serve(reader, writer):
            self.connections += 1
            try:
                await self.handler(reader, writer)
            finally:
                writer.close()

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc_info) -> None:
        self.server.close()
        await self.server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
    )
    return head + await reader.readexactly(length)


async def test_keep_alive_reuses_one_connection_for_sequential_requests(client):
    async def answer(reader, writer):
        while True:
            try:
                request = await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            body = request.split(b"\r\n\r\n", 1)[1]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()

    server = RawServer(answer)
    async with server as url:
        for text in (b"one", b"two", b"three"):
            async with await client.post(url + "/x", data=text, headers={}, connect_timeout=5) as response:
                assert (response.status, await response.read()) == (200, text)
    assert server.connections == 1


async def test_a_chunked_body_split_across_writes_arrives_whole_and_in_order(client):
    async def answer(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for piece in (b"5\r\nhel", b"lo\r\n", b"6;ext=1\r\n wor", b"ld\r\n", b"0\r\nTrailer: x\r\n\r\n"):
            writer.write(piece)
            await writer.drain()
        await reader.read()  # keep the connection open: the body's end is the zero chunk, not a close

    async with RawServer(answer) as url:
        response = await client.post(url, data=b"", headers={}, connect_timeout=5)
        pieces = []
        while piece := await response.readany():
            pieces.append(piece)
        response.release()
    assert b"".join(pieces) == b"hello world"


async def test_gzip_bodies_are_decoded(client):
    async def handler(request):
        return web.Response(body=gzip.compress(b"compressed " * 100), headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]
        response = await client.post(f"http://127.0.0.1:{port}/", data=b"{}", headers={}, connect_timeout=5)
        assert await response.read() == b"compressed " * 100
        assert response.headers["content-encoding"] == response.headers["Content-Encoding"] == "gzip"
    finally:
        await runner.cleanup()


async def test_a_pooled_connection_the_server_closed_is_replaced_without_an_error(client):
    async def answer_once_then_close(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        # then close while the client keeps the connection pooled

    server = RawServer(answer_once_then_close)
    async with server as url:
        for _ in range(3):
            response = await client.post(url, data=b"", headers={}, connect_timeout=5)
            assert await response.read() == b"ok"
    assert server.connections == 3


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed 5 bytes before the body's end"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not a hexadecimal number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", "not a hexadecimal number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n", "not a hexadecimal number"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 4\r\n\r\nnope", "not valid deflate"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"X: y\r\n" * 20000, "trailers"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc", "in the middle of a chunk"),
    ],
)
async def test_a_body_that_breaks_off_is_a_transport_error(client, answer, problem):
    async def reply(reader, writer):
        await read_request(reader)
        writer.write(answer)
        await writer.drain()

    async with RawServer(reply) as url:
        response = await client.post(url, data=b"", headers={}, connect_timeout=5)
        with pytest.raises(TransportError, match=problem):
            await response.read()


async def test_an_answer_that_is_not_http_is_a_transport_error(client):
    async def garbage(reader, writer):
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()

    async with RawServer(garbage) as url:
        with pytest.raises(TransportError, match="not HTTP/1.x"):
            await client.post(url, data=b"", headers={}, connect_timeout=5)


async def test_a_partly_read_answer_closes_its_connection_and_connection_close_is_honoured(client):
    async def answer(reader, writer):
        while True:
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + b"x" * 200000)
            await writer.drain()

    server = RawServer(answer)
    async with server as url:
        response = await client.post(url, data=b"", headers={}, connect_timeout=5)
        assert await response.readany()
        response.release()  # most of the body unread: the connection cannot be reused
        response = await client.post(url, data=b"", headers={}, connect_timeout=5)
        assert len(await response.read()) == 200000
    assert server.connections == 2


async def test_refused_and_unanswered_connects(client):
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(TransportError, match="cannot connect"):
        await client.post(f"http://127.0.0.1:{port}/", data=b"", headers={}, connect_timeout=5)
    with pytest.raises(TransportError, match="not an http"):
        await client.post("ftp://127.0.0.1/", data=b"", headers={}, connect_timeout=5)
    assert issubclass(ConnectTimeout, TransportError)


NEEDS_OPENSSL = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a test certificate")


@contextlib.asynccontextmanager
async def tls_server(tmp_path, prefix: str):
    """An HTTPS server on 127.0.0.1 with a fresh self-signed certificate for ``localhost`` that answers
    ``prefix`` + the request body. Yields (port, the certificate file a client must trust)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    async def handler(request):
        return web.Response(text=prefix + (await request.text()))

    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1], cert
    finally:
        await runner.cleanup()


@NEEDS_OPENSSL
async def test_https_verifies_the_server_against_the_trusted_certificates(tmp_path):
    """TLS through the default context, which trusts what SSL_CERT_FILE names (run in a fresh process)."""
    script = textwrap.dedent("""
        import asyncio, sys
        from codetether.providers.httpclient import HTTPClient, TransportError
        async def main():
            http = HTTPClient(user_agent="t")
            try:
                response = await http.post(sys.argv[1], data=b"hi", headers={}, connect_timeout=10)
                print(response.status, (await response.read()).decode())
            except TransportError as exc:
                print("refused:", exc)
            await http.close()
        asyncio.run(main())
    """)

    async def fetch(port: int, trusted_file) -> str:
        env = {"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": str(trusted_file)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, f"https://localhost:{port}/",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return out.decode().strip()

    async with tls_server(tmp_path, "secure ") as (port, cert):
        assert await fetch(port, cert) == "200 secure hi"
        refused = await fetch(port, tmp_path / "none.pem")
        assert refused.startswith("refused: cannot connect")  # an unknown CA is refused


def test_works_on_uvloop_as_under_serve():
    """`codetether serve` runs on uvloop, whose create_connection takes fewer options than asyncio's."""
    uvloop = pytest.importorskip("uvloop")

    async def main() -> bytes:
        async def answer(reader, writer):
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong")
            await writer.drain()

        http = HTTPClient(user_agent="test")
        try:
            async with RawServer(answer) as url:
                return await (await http.post(url, data=b"ping", headers={}, connect_timeout=5)).read()
        finally:
            await http.close()

    assert uvloop.run(main()) == b"pong"


async def test_a_model_id_with_spaces_is_escaped_and_a_header_with_a_line_break_refused(client):
    seen = []

    async def answer(reader, writer):
        seen.append((await read_request(reader)).split(b"\r\n", 1)[0])
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    async with RawServer(answer) as url:
        response = await client.post(url + "/models/my model:stream?alt=s s", data=b"", headers={}, connect_timeout=5)
        assert response.status == 204 and await response.read() == b""
        with pytest.raises(TransportError, match="line break"):
            await client.post(url, data=b"", headers={"X-Team": "a\r\nInjected: 1"}, connect_timeout=5)
    assert seen == [b"POST /models/my%20model:stream?alt=s%20s HTTP/1.1"]


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length is not a number"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "Content-Length is not a number"),
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 5000, "interim"),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols"),
    ],
)
async def test_malformed_answers_are_transport_errors(client, head, problem):
    async def reply(reader, writer):
        await read_request(reader)
        writer.write(head)
        await writer.drain()

    async with RawServer(reply) as url:
        with pytest.raises(TransportError, match=problem):
            await client.post(url, data=b"", headers={}, connect_timeout=5)


async def test_repeated_equal_content_lengths_are_one(client):
    async def reply(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    async with RawServer(reply) as url:
        assert await (await client.post(url, data=b"", headers={}, connect_timeout=5)).read() == b"ok"


async def test_a_request_is_never_sent_twice_once_an_answer_began(client):
    requests = []

    async def reset_mid_headers(reader, writer):
        while True:
            try:
                requests.append(await read_request(reader))
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if len(requests) == 1:  # the first answer completes, so the connection is pooled
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
                continue
            writer.write(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n")
            await writer.drain()
            writer.transport.abort()  # RST in the middle of the headers
            return

    async with RawServer(reset_mid_headers) as url:
        assert await (await client.post(url, data=b"1", headers={}, connect_timeout=5)).read() == b"ok"
        with pytest.raises(TransportError):
            await client.post(url, data=b"2", headers={}, connect_timeout=5)
    assert len(requests) == 2  # the second POST went out once, on the pooled connection


async def test_a_gzip_bomb_is_inflated_a_bounded_piece_at_a_time(client):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB

    async def reply(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb)
        await writer.drain()

    async with RawServer(reply) as url:
        response = await client.post(url, data=b"", headers={}, connect_timeout=5)
        largest = total = 0
        while piece := await response.readany():
            largest, total = max(largest, len(piece)), total + len(piece)
    assert total == 64 * 1024 * 1024 and largest <= 64 * 1024


async def test_the_callers_headers_replace_the_defaults_and_non_latin1_is_refused(client):
    seen = []

    async def reply(reader, writer):
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    async with RawServer(reply) as url:
        headers = {"user-agent": "mine", "Host": "evil", "Content-Length": "999"}
        await client.post(url, data=b"abc", headers=headers, connect_timeout=5)
        with pytest.raises(TransportError, match="characters HTTP cannot carry"):
            await client.post(url, data=b"", headers={"X-Team": "caf\u00e9 \u2014 bar"}, connect_timeout=5)
    head = seen[0].decode().lower()
    assert head.count("user-agent:") == 1 and "user-agent: mine" in head
    assert head.count("host:") == 1 and "host: evil" not in head and "content-length: 3\r\n" in head
