"""Mandatory auth on a real aiohttp server: refused and audited without, with a wrong, or with a query token."""

import os
import stat

import aiohttp
import pytest
from aiohttp import web

from codetether.bus import AgentBus
from codetether.security.audit import AuditLog, AuditQuery, query
from codetether.security.auth import FailureLimiter, TokenAuth
from codetether.server.app import AUDIT_WRITER_KEY, build_app

TOKEN = "t0ken-for-tests-0123456789abcdef"


@pytest.fixture
async def server(tmp_path):
    audit = AuditLog(tmp_path / "audit")
    app = build_app(AgentBus(), TokenAuth(TOKEN), audit, limiter=FailureLimiter(limit=5, window=60, block=60))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    async with aiohttp.ClientSession() as session:
        yield url, session, audit, app[AUDIT_WRITER_KEY]  # records are queued: tests flush the writer
    await runner.cleanup()


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_health_is_public_everything_else_needs_the_token(server):
    url, session, audit, _writer = server
    async with session.get(f"{url}/health") as r:
        assert r.status == 200
    for path in ("/v1/audit/events", "/v1/bus/stream"):
        async with session.get(f"{url}{path}") as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
        async with session.get(f"{url}{path}", headers=auth("wrong-token-0123456789")) as r:
            assert r.status == 401
        async with session.get(f"{url}{path}", params={"token": TOKEN}, headers=auth()) as r:
            assert r.status == 400 and "query string" in (await r.json())["error"]
    async with session.get(f"{url}/v1/audit/events", headers=auth()) as r:
        assert r.status == 200
    denied = query(AuditQuery(outcome="denied", limit=100), audit.directory)
    assert len(denied) == 6 and all(r.action == "api.call" and r.actor.startswith("http:127.0.0.1") for r in denied)
    assert {r.detail for r in denied} == {"401", "400"}
    assert not query(AuditQuery(resource="/health"), audit.directory)


async def test_failing_attempts_are_throttled_but_the_right_token_always_passes(server):
    url, session, audit, writer = server
    for _ in range(5):
        async with session.get(f"{url}/v1/audit/events", headers=auth("nope-nope-nope-nope")) as r:
            assert r.status == 401
    async with session.get(f"{url}/v1/audit/events", headers=auth("nope-nope-nope-nope")) as r:
        assert r.status == 429 and 0 < int(r.headers["Retry-After"]) <= 60
    async with session.get(f"{url}/v1/audit/events", headers=auth()) as r:  # the owner shares 127.0.0.1
        assert r.status == 200
    await writer.flush()
    assert [r.detail for r in query(AuditQuery(outcome="denied", limit=100), audit.directory)] == ["401"] * 5 + ["429"]


async def test_audit_routes_page_and_filter(server):
    url, session, audit, _writer = server
    for i in range(5):
        audit.append("agent", "tool.bash", f"cmd {i}", "ok" if i % 2 else "denied")
    async with session.get(f"{url}/v1/audit/events", params={"limit": "2"}, headers=auth()) as r:
        page = await r.json()
    assert [e["seq"] for e in page["events"]] == [1, 2] and page["next_after"] == 2
    async with session.post(
        f"{url}/v1/audit/query", json={"action": "tool.", "outcome": "denied"}, headers=auth()
    ) as r:
        found = await r.json()
    assert [e["resource"] for e in found["events"]] == ["cmd 0", "cmd 2", "cmd 4"]
    async with session.post(f"{url}/v1/audit/query", data=b"{not json", headers=auth()) as r:
        assert r.status == 400 and "invalid query" in (await r.json())["error"]
    async with session.post(f"{url}/v1/audit/query", json={"limit": "many"}, headers=auth()) as r:
        assert r.status == 400
    async with session.get(f"{url}/v1/audit/events", params={"limit": "x"}, headers=auth()) as r:
        assert r.status == 400


def test_generated_token_is_private_and_announced(tmp_path, monkeypatch):
    monkeypatch.delenv("CODETETHER_AUTH_TOKEN", raising=False)
    said = []
    generated = TokenAuth.from_environment(said.append, tmp_path)
    token = (tmp_path / "auth-token").read_text().strip()
    assert len(token) == 64 and stat.S_IMODE(os.stat(tmp_path / "auth-token").st_mode) == 0o600
    assert generated.check(f"Bearer {token}") and not generated.check(f"Bearer {token[:-1]}x")
    assert len(said) == 1 and str(tmp_path / "auth-token") in said[0] and token not in said[0]
    monkeypatch.setenv("CODETETHER_AUTH_TOKEN", TOKEN)
    assert TokenAuth.from_environment(said.append, tmp_path).check(f"Bearer {TOKEN}") and len(said) == 1
