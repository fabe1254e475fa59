"""Slowloris: the HTTP server closes connections that do not finish their request headers within
``[a2a] header_timeout``, on a new connection and on a kept-alive one, and leaves a long response alone.

The timeout is small here; each test waits for the server to close the socket (EOF), never on a clock.
"""

import asyncio
from urllib.parse import urlsplit

import aiohttp
import pytest

from codetether.bus import AgentBus
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from tests.a2a.executors import EchoExecutor

TOKEN = "header-timeout-token-0123456789abcdef"
GIVE_UP = 60  # only so a broken server fails the test instead of hanging it


@pytest.fixture
async def peer(tmp_path):
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0, header_timeout=0.3),
        EchoExecutor(),
        TokenAuth(TOKEN),
        audit=AuditLog(tmp_path / "audit"),
        bus=AgentBus(),
        grpc=False,
    )
    yield peer
    await peer.stop()


async def connect(peer: Peer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    address = urlsplit(peer.addresses.http_url)
    return await asyncio.open_connection(address.hostname, address.port)


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent before it closed the connection."""
    return await asyncio.wait_for(reader.read(), GIVE_UP)


async def test_a_connection_that_never_finishes_its_headers_is_closed(peer):
    reader, writer = await connect(peer)
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: a")
    await writer.drain()
    assert await closed_by_server(reader) == b""
    writer.close()


async def test_a_kept_alive_connection_whose_next_headers_stall_is_closed(peer):
    reader, writer = await connect(peer)
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GIVE_UP)
    assert head.startswith(b"HTTP/1.1 200")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    await reader.readexactly(length)
    writer.write(b"GET /health HTTP/1.1\r\nHost: loc")
    await writer.drain()
    assert await closed_by_server(reader) == b""
    writer.close()


async def test_a_stream_that_outlives_the_header_timeout_keeps_flowing(peer):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        url = peer.addresses.http_url
        async with session.get(f"{url}/v1/bus/stream", params={"pattern": "task.*"}) as stream:
            assert stream.status == 200
            slow_reader, slow_writer = await connect(peer)
            slow_writer.write(b"GET /health HTTP/1.1\r\n")
            await slow_writer.drain()
            assert await closed_by_server(slow_reader) == b""  # the deadline has passed for both connections
            slow_writer.close()
            body = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "SendMessage",
                "params": {"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "still here"}]}},
            }
            async with session.post(f"{url}/", json=body, headers={"A2A-Version": "1.0"}) as reply:
                assert "result" in await reply.json()
            line = b""
            while not line.startswith(b"event: envelope"):
                line = await asyncio.wait_for(stream.content.readline(), GIVE_UP)
