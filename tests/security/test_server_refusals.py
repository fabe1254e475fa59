"""Refused requests on a real server: a malformed credential is a clean, audited 400, and a flood of refusals
costs the disk a few short records instead of kilobytes each (issue 12, item 6)."""

import asyncio
import time

import aiohttp
import pytest
from aiohttp import web

from codetether.bus import AgentBus
from codetether.security.audit import AuditLog, AuditQuery, query
from codetether.security.audit_writer import MAX_FIELD_CHARS, MAX_REFUSAL_WINDOWS, REFUSALS_IN_FULL, AuditWriter
from codetether.security.auth import FailureLimiter, TokenAuth
from codetether.server.app import AUDIT_WRITER_KEY, build_app

TOKEN = "refusals-test-token-0123456789abcdef"


@pytest.fixture
async def server(tmp_path):
    audit = AuditLog(tmp_path / "audit")
    app = build_app(AgentBus(), TokenAuth(TOKEN), audit, limiter=FailureLimiter(limit=10, window=60, block=300))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield port, audit, app[AUDIT_WRITER_KEY]
    await runner.cleanup()


async def raw_request(port: int, head: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    response = await reader.read()  # Connection: close, so the server ends it
    writer.close()
    return response


async def test_an_authorization_header_that_is_not_utf8_is_a_400_and_audited(server):
    port, audit, writer = server
    head = b"GET /v1/audit/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xc3\r\n"
    head += b"Connection: close\r\n\r\n"
    response = await raw_request(port, head)
    assert response.startswith(b"HTTP/1.1 400 "), response[:200]
    assert b"not UTF-8" in response
    await writer.flush()
    (record,) = query(AuditQuery(outcome="denied"), audit.directory)
    assert (record.action, record.resource, record.detail) == ("api.call", "GET /v1/audit/events", "400")


async def test_a_flood_of_refused_requests_writes_a_few_short_records_and_one_summary(server):
    port, audit, writer = server
    long_path = "/v1/" + "a" * 8000
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            async with session.get(f"http://127.0.0.1:{port}{long_path}", headers={"Authorization": "Bearer no"}) as r:
                statuses[r.status] = statuses.get(r.status, 0) + 1
        assert statuses == {401: 10, 429: 290}
        async with session.get(f"http://127.0.0.1:{port}/health") as r:
            assert r.status == 200
    await writer.flush()
    denied = query(AuditQuery(outcome="denied", limit=1000), audit.directory)
    assert len(denied) == REFUSALS_IN_FULL + 1
    assert all(len(record.resource) < MAX_FIELD_CHARS + 40 for record in denied)
    summary = denied[-1]
    assert summary.detail == "290 more refused call(s) not recorded one by one: 290 x 429"
    assert summary.resource == "refused calls from 127.0.0.1"
    assert (audit.directory / "audit.jsonl").stat().st_size < 16 * 1024


async def test_refusals_past_the_window_start_a_new_one_after_its_summary(tmp_path):
    audit = AuditLog(tmp_path)
    writer = AuditWriter(audit, refusal_window=0.05, refusals_in_full=2)
    for _ in range(5):
        writer.refused("10.0.0.1", "http:10.0.0.1", "api.call", "GET /x", "401")
    deadline = time.monotonic() + 10
    while not query(AuditQuery(resource="refused calls from"), audit.directory):  # the window's end writes it
        assert time.monotonic() < deadline, "the window never closed"
        await asyncio.sleep(0.01)
    writer.refused("10.0.0.1", "http:10.0.0.1", "api.call", "GET /y", "401")  # a new window: in full again
    await writer.close()
    records = query(AuditQuery(limit=100), audit.directory)
    assert [(r.resource, r.detail) for r in records] == [
        ("GET /x", "401"),
        ("GET /x", "401"),
        ("refused calls from 10.0.0.1", "3 more refused call(s) not recorded one by one: 3 x 401"),
        ("GET /y", "401"),
    ]


async def test_refusals_from_more_addresses_than_windows_share_one_window(tmp_path):
    audit = AuditLog(tmp_path)
    writer = AuditWriter(audit, refusals_in_full=1)
    for number in range(MAX_REFUSAL_WINDOWS + 50):
        address = f"2001:db8::{number:x}"
        writer.refused(address, f"http:{address}", "api.call", "GET /x", "401")
    await writer.close()
    records = query(AuditQuery(limit=10_000), audit.directory)
    assert len(records) == MAX_REFUSAL_WINDOWS + 2  # one per window, then the shared window's first and summary
    assert records[-1].resource == "refused calls from other addresses"
    assert records[-1].detail == "49 more refused call(s) not recorded one by one: 49 x 401"
