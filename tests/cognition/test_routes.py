"""/v1/cognition/* and /v1/swarm/personas* on a real aiohttp server, thinking on the fake LLM server."""

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from codetether.bus import AgentBus
from codetether.cognition.engine import CognitionEngine
from codetether.cognition.thinker import RuntimeThinker
from codetether.cognition.types import CreatePersonaRequest
from codetether.config.schema import CognitionSection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server import cognition_routes
from codetether.server.app import AUDIT_WRITER_KEY, build_app
from tests.fakes.llm import Fault, Reply

TOKEN = "t0ken-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def server(runtime, configured, tmp_path):
    app = build_app(AgentBus(), TokenAuth(TOKEN), AuditLog(tmp_path / "audit"))
    section = CognitionSection(model="fake/fake-large", loop_interval_ms=100, max_events=50)
    engine = CognitionEngine(section, RuntimeThinker(lambda: runtime, str(configured), section.model))
    engine.audit = app[AUDIT_WRITER_KEY]
    cognition_routes.add_routes(app, engine)
    app[cognition_routes.KEEPALIVE_KEY] = 0.2
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with aiohttp.ClientSession(headers=AUTH) as http:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", http, engine
    await engine.stop()
    await runner.cleanup()


async def sse(response: aiohttp.ClientResponse):
    """(event, data) per frame; ("comment", text) for a comment line."""
    event, data = "message", []
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif not line and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []


async def test_personas_lineage_and_errors(server):
    url, http, _engine = server
    body = {"persona_id": "lead", "name": "Lead", "role": "planner", "charter": "plan", "swarm_id": "s", "tags": ["x"]}
    body["policy"] = {"max_spawn_depth": 1, "max_branching_factor": 1}
    async with http.post(f"{url}/v1/swarm/personas", json=body) as r:
        state = await r.json()
        assert r.status == 201 and state["status"] == "active" and state["identity"]["depth"] == 0
        assert state["identity"]["tags"] == ["x"] and state["policy"]["max_spawn_depth"] == 1
    child = {"persona_id": "helper", "name": "Helper", "role": "doer", "charter": "do"}
    async with http.post(f"{url}/v1/swarm/personas/lead/spawn", json=child) as r:
        state = await r.json()
        assert r.status == 201 and state["identity"]["parent_id"] == "lead" and state["identity"]["swarm_id"] == "s"
    async with http.post(f"{url}/v1/swarm/personas/lead/spawn", json={**child, "persona_id": "two"}) as r:
        assert r.status == 409 and "max_branching_factor" in (await r.json())["error"]
    async with http.post(f"{url}/v1/swarm/personas/ghost/spawn", json=child) as r:
        assert r.status == 404
    async with http.post(f"{url}/v1/swarm/personas", json={"name": "no charter"}) as r:
        assert r.status == 400 and "invalid body" in (await r.json())["error"]
    async with http.post(f"{url}/v1/swarm/personas", json={**body, "persona_id": "../etc"}) as r:
        assert r.status == 400
    async with http.get(f"{url}/v1/swarm/lineage") as r:
        lineage = await r.json()
        assert lineage["roots"] == ["lead"] and lineage["total_edges"] == 1
    async with http.post(f"{url}/v1/swarm/personas/lead/reap", json={"cascade": True, "reason": "done"}) as r:
        assert await r.json() == {"reaped_ids": ["lead", "helper"], "count": 2}
    async with http.get(f"{url}/v1/cognition/snapshots/latest") as r:
        assert r.status == 404


async def test_start_stream_snapshot_stop(llm, server):
    url, http, _engine = server
    llm.script(*(Reply(text=f"thought {i}") for i in range(4)), *(Fault("status", status=503) for _ in range(20)))
    async with http.get(f"{url}/v1/cognition/status") as r:
        status = await r.json()
        assert status["running"] is False and status["persona_count"] == 0
    async with http.get(f"{url}/v1/cognition/stream") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        frames = sse(stream)
        assert await anext(frames) == ("comment", "connected")
        async with http.post(f"{url}/v1/cognition/start", json={"loop_interval_ms": 100}) as r:
            status = await r.json()
            assert r.status == 200 and status["running"] and status["persona_count"] == 1
        seen = []
        async with asyncio.timeout(60):
            async for event, data in frames:
                if event == "cognition":
                    seen.append(data)
                if event == "cognition" and data["event_type"] == "error":
                    break
    kinds = [d["event_type"] for d in seen]
    assert kinds == [
        "persona_spawned",
        "thought_generated",
        "hypothesis_raised",
        "check_requested",
        "snapshot_compressed",
        "error",
    ]
    assert [d["payload"].get("text") for d in seen[1:5]] == [f"thought {i}" for i in range(4)]
    assert "503" in seen[5]["payload"]["error"] and "text" not in seen[5]["payload"]
    async with http.get(f"{url}/v1/cognition/snapshots/latest") as r:
        snapshot = await r.json()
        assert r.status == 200 and snapshot["summary"] == "thought 3" and snapshot["persona_scope"] == ["root-thinker"]
    async with http.post(f"{url}/v1/cognition/stop", json={"reason": "test"}) as r:
        status = await r.json()
        assert status["running"] is False and status["events_buffered"] >= 6 and status["snapshots_buffered"] == 1
    async with http.post(f"{url}/v1/cognition/start", json={"loop_interval_ms": 5}) as r:
        assert r.status == 400  # below the 100 ms floor


async def test_a_quiet_stream_keeps_alive(server):
    url, http, _engine = server
    async with http.get(f"{url}/v1/cognition/stream") as stream:
        frames = sse(stream)
        assert await anext(frames) == ("comment", "connected")
        assert await anext(frames) == ("comment", "keep-alive")


async def test_a_slow_reader_gets_a_lag_event(server):
    url, http, engine = server
    async with http.get(f"{url}/v1/cognition/stream") as stream:
        frames = sse(stream)
        assert await anext(frames) == ("comment", "connected")
        # 60 events in one go (the ring keeps 50) before the stream's reader gets to run again.
        for i in range(60):
            engine.create_persona(CreatePersonaRequest(persona_id=f"p{i}", name="n", role="r", charter="c"))
        event, data = await anext(frames)
        assert event == "lag" and data == {"missed": 10}
        event, data = await anext(frames)
        assert event == "cognition" and data["persona_id"] == "p10"
