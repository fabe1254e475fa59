"""Known A2A peers: read each seed URL's agent card, track whether it answers, retry with backoff.

A peer that answers is announced on the local bus (``AgentReady`` with its card, so the bus registry
lists it beside local agents); one that stops answering is announced gone (``AgentShutdown``) and
retried after 1 s, doubling to 60 s (with jitter), so a peer that starts later is found when it
comes up. The ``a2a_peers`` and ``a2a_send`` tools read this directory.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..bus import AgentBus
from ..bus.messages import AgentReady, AgentShutdown

log = logging.getLogger(__name__)

ENV = "CODETETHER_A2A_PEERS"
RETRY_MIN = 1.0
RETRY_MAX = 60.0
RECHECK_SECONDS = 30.0  # how often a reachable peer's card is read again


@dataclass
class KnownPeer:
    url: str
    name: str = ""
    description: str = ""
    skills: list[str] = field(default_factory=list)
    reachable: bool = False
    failures: int = 0
    last_error: str = ""
    last_seen: float = 0.0
    next_check: float = 0.0

    @property
    def label(self) -> str:
        return self.name or self.url


def seed_urls(flags: Iterable[str], environ: Mapping[str, str]) -> list[str]:
    """``--peer`` values and ``CODETETHER_A2A_PEERS`` (each comma-separated), de-duplicated, in order."""
    urls: list[str] = []
    for raw in [*flags, environ.get(ENV, "")]:
        for piece in raw.split(","):
            url = piece.strip().rstrip("/")
            if url and url not in urls:
                urls.append(url)
    return urls


class PeerDirectory:
    def __init__(
        self,
        urls: Iterable[str],
        bus: AgentBus | None = None,
        *,
        own_url: str = "",
        token: str | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.peers: dict[str, KnownPeer] = {url: KnownPeer(url=url) for url in urls if url != own_url}
        self.bus = bus
        self.token = token  # sent to peers by a2a_send (None: CODETETHER_A2A_TOKEN, then CODETETHER_AUTH_TOKEN)
        self.notice = notice or log.info  # tells a person when a peer is found or lost
        self._task: asyncio.Task | None = None
        self._changed = asyncio.Event()

    def known(self) -> list[KnownPeer]:
        return list(self.peers.values())

    def find(self, name_or_url: str) -> KnownPeer | None:
        key = name_or_url.strip().rstrip("/")
        if key in self.peers:
            return self.peers[key]
        matches = [peer for peer in self.peers.values() if peer.name == key]
        return matches[0] if len(matches) == 1 else None

    def add(self, url: str) -> KnownPeer:
        url = url.strip().rstrip("/")
        peer = self.peers.setdefault(url, KnownPeer(url=url))
        self._changed.set()
        return peer

    async def check(self, peer: KnownPeer) -> None:
        """Read the peer's card once and update what is known of it."""
        from ..a2a.client.card import fetch_card

        now = time.monotonic()
        try:
            _, card = await fetch_card(peer.url, timeout=10.0)
        except Exception as exc:  # any failure to read a card is "unreachable", with the reason kept
            was = peer.reachable
            peer.reachable = False
            peer.failures += 1
            peer.last_error = str(exc) or type(exc).__name__
            delay = min(RETRY_MIN * 2 ** (peer.failures - 1), RETRY_MAX)
            peer.next_check = now + delay * random.uniform(0.8, 1.2)
            if was:
                self.notice(f"lost peer {peer.label} at {peer.url}: {peer.last_error}")
                self._announce_gone(peer)
            return
        first = not peer.reachable
        peer.name, peer.description = card.name, card.description
        peer.skills = [skill.name or skill.id for skill in card.skills]
        peer.reachable, peer.failures, peer.last_error = True, 0, ""
        peer.last_seen = time.time()
        peer.next_check = now + RECHECK_SECONDS
        if first:
            self.notice(f"found peer {peer.name} at {peer.url}")
            self._announce(peer)

    def _announce(self, peer: KnownPeer) -> None:
        if self.bus is None:
            return
        card = {"name": peer.name, "description": peer.description, "url": peer.url, "skills": peer.skills}
        self.bus.publish(
            f"agent.{_segment(peer.name)}.events", AgentReady(agent_id=peer.name, card=card), sender=peer.name
        )

    def _announce_gone(self, peer: KnownPeer) -> None:
        if self.bus is not None and peer.name:
            self.bus.publish(f"agent.{_segment(peer.name)}.events", AgentShutdown(agent_id=peer.name), sender=peer.name)

    async def run(self) -> None:
        """Check every peer when it is due, for ever."""
        while True:
            now = time.monotonic()
            due = [peer for peer in self.peers.values() if peer.next_check <= now]
            if due:
                await asyncio.gather(*(self.check(peer) for peer in due))
            upcoming = [peer.next_check for peer in self.peers.values()]
            wait = max(0.05, min(upcoming) - time.monotonic()) if upcoming else RECHECK_SECONDS
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="peer-discovery")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _segment(name: str) -> str:
    from ..bus.agent_bus import segment

    return segment(name)
