"""a2a_send: send a task to a known A2A peer and return its answer (the A2A client underneath)."""

from typing import TYPE_CHECKING, Annotated

import msgspec

from .base import ToolError
from .context import ToolContext

if TYPE_CHECKING:
    from ..a2a.domain.types import Message, Task

NAME = "a2a_send"
KIND = "network"
TIMEOUT = 600.0


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    peer: Annotated[str, msgspec.Meta(description="The peer's name or URL, as a2a_peers lists it")]
    message: Annotated[str, msgspec.Meta(description="The task for the peer, in plain words")]
    timeout: Annotated[float, msgspec.Meta(gt=0, le=TIMEOUT, description="Seconds to wait for the answer")] = 300


def subject(params: Params) -> str:
    return params.peer


async def run(params: Params, ctx: ToolContext) -> str:
    import asyncio

    from ..a2a.client.client import A2AClient, A2AClientError
    from ..a2a.domain.errors import A2AError

    peers = ctx.services.peers
    if peers is None:
        raise ToolError("no peer directory in this run", "peers are known only to a `codetether spawn` agent")
    peer = peers.find(params.peer)
    if peer is None:
        names = ", ".join(p.label for p in peers.known()) or "none"
        raise ToolError(f"no known peer {params.peer!r} (known: {names})", "call a2a_peers to see them")
    try:
        async with asyncio.timeout(params.timeout):
            # same_host: the peer's card must not send the token (and the message) to another host.
            async with await A2AClient.connect(peer.url, token=peers.token, same_host=True) as client:
                result = await client.send(params.message)
    except TimeoutError:
        raise ToolError(f"{peer.label} did not answer within {params.timeout:.0f} s") from None
    except (A2AClientError, A2AError) as exc:
        raise ToolError(f"{peer.label}: {exc}") from exc
    return _describe(peer.label, result)


def _describe(label: str, result: "Task | Message") -> str:
    from ..a2a.domain.types import Message

    if isinstance(result, Message):  # a message-only reply: no task was made
        return f"{label} answered: {result.text()}"
    state = result.status.state.value.removeprefix("TASK_STATE_").lower().replace("_", "-")
    texts = [part.text for artifact in result.artifacts for part in artifact.parts if part.text]
    status = result.status.message.text() if result.status.message else ""
    return f"{label} ended task {result.id} {state}: {chr(10).join(texts) or status}"
