"""a2a_peers and a2a_send through the real tool runner: what the model is told when a peer is unknown,
unreachable, or when the run has no peers at all."""

import itertools
import socket
from pathlib import Path

import msgspec

from codetether.config import Config
from codetether.peers.directory import PeerDirectory
from codetether.providers.types import ToolCall
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.context import ToolContext
from codetether.tools.registry import PEER_TOOLS, builtin_tools
from codetether.tools.runner import ToolRunner
from codetether.tools.services import Services

_ids = itertools.count(1)


def runner(tmp_path: Path, peers: PeerDirectory | None) -> ToolRunner:
    context = ToolContext.local(
        tmp_path, PermissionPolicy(AccessMode.FULL, {}), services=Services(settings=Config(), peers=peers)
    )
    return ToolRunner(builtin_tools(PEER_TOOLS), context)


async def call(tools: ToolRunner, name: str, **arguments):
    return await tools.run(ToolCall(id=f"p{next(_ids)}", name=name, arguments=msgspec.json.encode(arguments).decode()))


async def test_peer_tools_explain_what_is_missing(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    directory = PeerDirectory([dead])
    tools = runner(tmp_path, directory)
    listed = await call(tools, "a2a_peers")
    assert not listed.is_error and f"? at {dead}: unreachable (not checked yet)" in listed.output
    unknown = await call(tools, "a2a_send", peer="gamma", message="hi")
    assert unknown.is_error and f"no known peer 'gamma' (known: {dead})" in unknown.output
    down = await call(tools, "a2a_send", peer=dead, message="hi", timeout=20)
    assert down.is_error and dead in down.output
    await directory.check(directory.known()[0])
    listed = await call(tools, "a2a_peers")
    assert "unreachable (" in listed.output and "not checked yet" not in listed.output
    alone = runner(tmp_path, None)
    assert "only to a `codetether spawn` agent" in (await call(alone, "a2a_peers")).output
