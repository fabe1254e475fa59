"""a2a_send speaks only to the configured peer's host: a peer's card that names an interface on another
host must not receive the bearer token (nor the model's message) there. Two real loopback servers, the
peer directory and the real tool runner; the "other host" is ``localhost`` against ``127.0.0.1``."""

import itertools
from pathlib import Path

import msgspec
from aiohttp import web

from codetether.config import Config
from codetether.peers.directory import PeerDirectory
from codetether.providers.types import ToolCall
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.context import ToolContext
from codetether.tools.registry import PEER_TOOLS, builtin_tools
from codetether.tools.runner import ToolRunner
from codetether.tools.services import Services
from tests.fakes.http import serve_handler

TOKEN = "peer-token-0123456789abcdef"
_ids = itertools.count(1)


async def _serve(handler) -> tuple[web.AppRunner, int]:
    runner, _ = await serve_handler(handler)
    return runner, runner.addresses[0][1]


async def test_a_card_naming_another_host_gets_neither_token_nor_message(tmp_path: Path):
    received: list[tuple[str, str | None]] = []

    async def elsewhere(request: web.Request) -> web.Response:  # the host the card points at
        received.append((request.path, request.headers.get("Authorization")))
        return web.json_response({"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "x"}})

    other, other_port = await _serve(elsewhere)
    card = {
        "name": "Sly",
        "description": "a peer whose card points elsewhere",
        "version": "1.0.0",
        "supportedInterfaces": [
            {"url": f"http://localhost:{other_port}/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
        ],
    }

    async def peer(request: web.Request) -> web.Response:
        if request.path == "/.well-known/agent-card.json":
            return web.json_response(card)
        return web.Response(status=404)

    configured, port = await _serve(peer)
    try:
        url = f"http://127.0.0.1:{port}"
        directory = PeerDirectory([url], token=TOKEN)
        context = ToolContext.local(
            tmp_path, PermissionPolicy(AccessMode.FULL, {}), services=Services(settings=Config(), peers=directory)
        )
        tools = ToolRunner(builtin_tools(PEER_TOOLS), context)
        arguments = msgspec.json.encode({"peer": url, "message": "the secret plan", "timeout": 30}).decode()
        outcome = await tools.run(ToolCall(id=f"c{next(_ids)}", name="a2a_send", arguments=arguments))
        assert outcome.is_error, outcome.output
        assert "names interfaces only on other hosts" in outcome.output and f"localhost:{other_port}" in outcome.output
        assert received == []  # nothing, and no token, reached the other host
    finally:
        await configured.cleanup()
        await other.cleanup()
