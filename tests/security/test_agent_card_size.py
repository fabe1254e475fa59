"""An agent card is read with a bound: a server named as a peer (its card read again every 30 s by the
peer directory) that answers an endless body gets a clear error, not this process's memory."""

import pytest
from aiohttp import web

from codetether.a2a.client.card import MAX_CARD_BYTES, fetch_card
from codetether.a2a.client.errors import A2AClientError
from tests.fakes.http import serve_handler


async def test_an_endless_card_is_refused(aiohttp_free_server):
    sent = []

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b" " * 65536
        try:
            for _ in range(4 * MAX_CARD_BYTES // len(chunk)):  # bounded only so the test cannot run away
                await response.write(chunk)
                sent.append(len(chunk))
        except (ConnectionResetError, RuntimeError):
            pass  # the client stopped reading, as it should
        return response

    url = await aiohttp_free_server(endless)
    with pytest.raises(A2AClientError, match=f"over {MAX_CARD_BYTES} bytes"):
        await fetch_card(url + "/.well-known/agent-card.json", timeout=30)


@pytest.fixture
async def aiohttp_free_server():
    runners = []

    async def start(handler) -> str:
        runner, url = await serve_handler(handler)
        runners.append(runner)
        return url

    yield start
    for runner in runners:
        await runner.cleanup()
