"""a2a_peers: list the A2A agents this peer knows (from --peer and CODETETHER_A2A_PEERS) and whether they answer."""

import msgspec

from .base import ToolError
from .context import ToolContext

NAME = "a2a_peers"
KIND = "read"  # reads what discovery already learned; sends nothing


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


async def run(params: Params, ctx: ToolContext) -> str:
    peers = ctx.services.peers
    if peers is None:
        raise ToolError("no peer directory in this run", "peers are known only to a `codetether spawn` agent")
    known = peers.known()
    if not known:
        return "no peers known (start with --peer URL or set CODETETHER_A2A_PEERS)"
    lines = []
    for peer in known:
        state = "reachable" if peer.reachable else f"unreachable ({peer.last_error or 'not checked yet'})"
        skills = f"; skills: {', '.join(peer.skills)}" if peer.skills else ""
        lines.append(f"- {peer.name or '?'} at {peer.url}: {state}{skills}")
    return "\n".join(lines)
