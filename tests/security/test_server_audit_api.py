"""The audit API on a real server: paging reaches an empty page although every read is itself recorded, and
``POST /v1/audit/query`` takes ``since``/``until`` as ISO 8601 as well as Unix seconds."""

from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from codetether.bus import AgentBus
from codetether.security.audit import AuditLog, AuditQuery, query
from codetether.security.auth import TokenAuth
from codetether.server.app import build_app

TOKEN = "audit-api-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def server(tmp_path):
    audit = AuditLog(tmp_path / "audit")
    runner = web.AppRunner(build_app(AgentBus(), TokenAuth(TOKEN), audit))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with aiohttp.ClientSession(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}") as session:
        yield session, audit
    await runner.cleanup()


async def test_paging_the_audit_events_reaches_an_empty_page(server):
    session, audit = server
    for i in range(5):
        audit.append("agent", "tool.bash", f"cmd {i}")
    after, seen, pages = 0, [], 0
    while True:
        pages += 1
        assert pages <= 10, "paging never reached an empty page"
        async with session.get("/v1/audit/events", params={"limit": "2", "after": str(after)}, headers=AUTH) as r:
            page = await r.json()
        if not page["events"]:
            break
        seen += [event["resource"] for event in page["events"]]
        after = page["next_after"]
    assert seen == [f"cmd {i}" for i in range(5)] and pages == 4
    # the reads are on the record, and a query that asks for them gets them
    async with session.post("/v1/audit/query", json={"action": "audit.read", "limit": 100}, headers=AUTH) as r:
        reads = (await r.json())["events"]
    assert len(reads) >= 4 and {event["resource"] for event in reads} == {"GET /v1/audit/events"}


async def test_audit_query_takes_iso_8601_and_unix_seconds(server):
    session, audit = server
    before = audit.append("agent", "tool.bash", "early")
    later = audit.append("agent", "tool.bash", "late")
    middle = (before.ts + later.ts) / 2
    iso_middle = datetime.fromtimestamp(middle, UTC).isoformat()
    naive_middle = datetime.fromtimestamp(middle, UTC).replace(tzinfo=None).isoformat()  # read as UTC
    zulu_middle = iso_middle.replace("+00:00", "Z")
    for since in (middle, iso_middle, naive_middle, zulu_middle):
        async with session.post("/v1/audit/query", json={"action": "tool.", "since": since}, headers=AUTH) as r:
            assert r.status == 200, await r.text()
            assert [e["resource"] for e in (await r.json())["events"]] == ["late"], since
    async with session.post("/v1/audit/query", json={"action": "tool.", "until": iso_middle}, headers=AUTH) as r:
        assert [e["resource"] for e in (await r.json())["events"]] == ["early"]
    day = datetime.fromtimestamp(before.ts, UTC).date().isoformat()  # a bare date: its midnight, UTC
    async with session.post("/v1/audit/query", json={"action": "tool.", "since": day}, headers=AUTH) as r:
        assert len((await r.json())["events"]) == 2
    async with session.post("/v1/audit/query", json={"since": "last tuesday"}, headers=AUTH) as r:
        assert r.status == 400 and "ISO 8601" in (await r.json())["error"]
    assert query(AuditQuery(since=iso_middle, action="tool."), audit.directory)[0].resource == "late"
