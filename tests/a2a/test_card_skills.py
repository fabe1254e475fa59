"""The served agent card names the skills the original CodeTether documents, plus ours."""

import aiohttp

from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from tests.a2a.drivers import TOKEN
from tests.a2a.executors import ScriptedExecutor

SEED_SKILLS = ["code-generation", "code-review", "debugging"]  # the original's README card
OUR_SKILLS = ["code", "explain"]


async def test_public_card_lists_the_seed_skill_ids_first_then_ours(tmp_path):
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0),
        ScriptedExecutor(),
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp_path / "tasks.sqlite3"),
        audit=AuditLog(tmp_path / "audit"),
    )
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(peer.addresses.http_url + "/.well-known/agent-card.json") as response,
        ):
            card = await response.json()
    finally:
        await peer.stop()
    assert [skill["id"] for skill in card["skills"]] == SEED_SKILLS + OUR_SKILLS
    for skill in card["skills"]:  # spec 1.0 requires these on every skill
        assert skill["name"] and skill["description"] and skill["tags"], skill
