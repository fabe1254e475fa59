"""The SSE bus stream on a real aiohttp server, read with our own SSE decoder."""

import asyncio
import json

import aiohttp
from aiohttp import web

from codetether.bus import AgentBus
from codetether.bus.messages import AgentMessage, SwarmEvent
from codetether.providers.sse import SSEDecoder
from codetether.server.bus_stream import add_routes


async def test_bus_stream_filters_by_pattern():
    bus = AgentBus()
    app = web.Application()
    add_routes(app, bus)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/v1/bus/stream", params={"pattern": "swarm.#"}) as resp:
                assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"
                await asyncio.sleep(0.05)
                bus.publish("agent.x", AgentMessage(text="not for this stream"), sender="a")
                bus.publish("swarm.s1", SwarmEvent(swarm_id="s1", kind="planned"), sender="orchestrator")
                decoder = SSEDecoder()
                events = []
                while not events:
                    events += decoder.feed(await resp.content.readany())
                assert events[0].event == "envelope"
                envelope = json.loads(events[0].data)
                assert envelope["topic"] == "swarm.s1" and envelope["message"]["type"] == "swarm_event"
            async with session.get(f"http://127.0.0.1:{port}/v1/bus/stream", params={"pattern": "a..b"}) as bad:
                assert bad.status == 400 and "invalid pattern" in (await bad.json())["error"]
    finally:
        await runner.cleanup()
