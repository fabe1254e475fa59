"""A context is one agent session, so it belongs to the principal that started it: another token naming
the same contextId (a guessable one a client chose, or one it learned) gets a session of its own, and
neither reads the owner's conversation nor adds to it. A real peer running the real agent executor on
the fake LLM server; the two principals are two registered workers' tokens."""

import json

import aiohttp
import pytest

from tests.a2a.agent_peer import start_agent_peer
from tests.fakes.llm import Reply

TOKEN = "context-owner-token-0123456789ab"


@pytest.fixture
async def peer(llm, tmp_path, config_file):
    running = await start_agent_peer(llm, tmp_path, config_file, TOKEN)
    yield running
    await running.stop()


async def _token(session: aiohttp.ClientSession, url: str, name: str) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with session.post(f"{url}/v1/agent/workers/register", json={"name": name}, headers=headers) as response:
        assert response.status == 201, await response.text()
        return (await response.json())["token"]


async def _send(session, url: str, token: str, text: str, context_id: str) -> dict:
    message = {"messageId": f"m-{text[:6]}", "role": "ROLE_USER", "parts": [{"text": text}], "contextId": context_id}
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}}
    headers = {"Authorization": f"Bearer {token}", "A2A-Version": "1.0"}
    async with session.post(url + "/a2a", json=body, headers=headers) as reply:
        return await reply.json()


async def test_another_principal_cannot_continue_a_context_it_did_not_start(peer, llm):
    llm.script(
        Reply(text="Noted."), Reply(text="Noted again."), Reply(text="I know nothing of it."), Reply(text="Still.")
    )
    url = peer.addresses.http_url
    async with aiohttp.ClientSession() as session:
        alice, bob = await _token(session, url, "alice"), await _token(session, url, "bob")
        first = await _send(session, url, alice, "my secret is XYZZY-42", "project-x")
        assert "result" in first, first
        again = await _send(session, url, alice, "remember it", "project-x")  # the owner continues it
        assert "result" in again, again
        assert "XYZZY-42" in json.dumps(llm.requests[-1].body)
        seen = len(llm.requests)
        stolen = await _send(session, url, bob, "what is my secret?", "project-x")
        later = await _send(session, url, alice, "and now?", "project-x")
    assert stolen["result"]["message"]["parts"][0]["text"] == "I know nothing of it.", stolen
    assert len(llm.requests) == seen + 2 and "result" in later, later
    bobs, alices = json.dumps(llm.requests[-2].body), json.dumps(llm.requests[-1].body)
    assert "what is my secret?" in bobs and "XYZZY-42" not in bobs and "remember it" not in bobs  # a session of its own
    assert "XYZZY-42" in alices and "what is my secret?" not in alices  # the owner's session, untouched
