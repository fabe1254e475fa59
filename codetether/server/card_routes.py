"""The agent card over HTTP: public at the well-known paths, cacheable, revalidated by ETag."""

import hashlib
from collections.abc import Callable
from email.utils import formatdate

import msgspec
from aiohttp import web

from ..a2a.types import AgentCard

CARD_PATHS = ("/.well-known/agent-card.json", "/.well-known/agent.json")  # the second is 0.2's legacy path


class CardResponse:
    """The encoded card with its validators, computed on first use (the server's ports are known
    only once it listens) and then kept: the card only changes with a restart."""

    def __init__(self, card: Callable[[], AgentCard], max_age: int) -> None:
        self._card = card
        self.max_age = max_age
        self.body = b""

    def _render(self) -> bool:
        card = self._card()
        if card is None:  # asked while the server is still starting
            return False
        self.body = msgspec.json.encode(card)
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'
        self.headers = {
            "ETag": self.etag,
            "Last-Modified": formatdate(usegmt=True),
            "Cache-Control": f"public, max-age={self.max_age}",
        }
        return True

    async def handle(self, request: web.Request) -> web.Response:
        if not self.body and not self._render():
            return web.Response(status=503, text="starting", headers={"Retry-After": "1"})
        wanted = {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}
        if self.etag in wanted or "*" in wanted:
            return web.Response(status=304, headers=self.headers)
        return web.Response(body=self.body, content_type="application/json", headers=self.headers)


def add_routes(app: web.Application, card: Callable[[], AgentCard], max_age: int) -> None:
    respond = CardResponse(card, max_age)
    for path in CARD_PATHS:
        app.router.add_get(path, respond.handle)
