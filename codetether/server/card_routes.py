"""The agent card over HTTP: public at the well-known paths, cacheable, revalidated by ETag.

The shape follows the version asked for, as requests do (``A2A-Version`` header or query parameter,
spec 1.0 §3.6.1): ``0.3`` gets the 0.3 card, ``1.0`` the 1.0 card. Unlike a request, a card fetch
without a version gets 1.0 at ``agent-card.json`` (1.0 §8.2's discovery path; SDK card resolvers send
no header) and 0.3 at 0.2's legacy ``agent.json``, which only pre-1.0 clients read.
"""

import hashlib
from collections.abc import Callable
from email.utils import formatdate

import msgspec
from aiohttp import web

from ..a2a.domain import errors
from ..a2a.domain.types import AgentCard
from ..a2a.domain.versions import HEADER, V03, V1, negotiate
from ..a2a.server.card import card_for

CARD_PATH = "/.well-known/agent-card.json"
LEGACY_CARD_PATH = "/.well-known/agent.json"  # spec 0.2's path
CARD_PATHS = (CARD_PATH, LEGACY_CARD_PATH)


class RenderedCard(msgspec.Struct, frozen=True):
    body: bytes
    etag: str
    headers: dict[str, str]


class CardResponse:
    """The encoded card of each version with its validators, computed on first use (the server's
    ports are known only once it listens) and then kept: the card only changes with a restart."""

    def __init__(self, card: Callable[[], AgentCard | None], max_age: int) -> None:
        self._card = card
        self.max_age = max_age
        self._rendered: dict[str, RenderedCard] = {}

    def rendered(self, version: str) -> RenderedCard | None:
        if version not in self._rendered:
            card = self._card()
            if card is None:  # asked while the server is still starting
                return None
            body = msgspec.json.encode(card_for(card, version))
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers = {
                "ETag": etag,
                "Last-Modified": formatdate(usegmt=True),
                "Cache-Control": f"public, max-age={self.max_age}",
                "Vary": HEADER,  # a shared cache must not give a 1.0 client the 0.3 card
            }
            self._rendered[version] = RenderedCard(body, etag, headers)
        return self._rendered[version]

    async def handle(self, request: web.Request) -> web.Response:
        asked = request.headers.get(HEADER) or request.query.get(HEADER)
        default = V03 if request.path == LEGACY_CARD_PATH else V1
        try:
            version = negotiate(asked) if asked and asked.strip() else default
        except errors.VersionNotSupportedError as exc:
            return web.json_response({"error": exc.message, "supportedVersions": [V1, V03]}, status=400)
        rendered = self.rendered(version)
        if rendered is None:
            return web.Response(status=503, text="starting", headers={"Retry-After": "1"})
        wanted = {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}
        if rendered.etag in wanted or "*" in wanted:
            return web.Response(status=304, headers=rendered.headers)
        return web.Response(body=rendered.body, content_type="application/json", headers=rendered.headers)


def add_routes(app: web.Application, card: Callable[[], AgentCard | None], max_age: int) -> None:
    respond = CardResponse(card, max_age)
    for path in CARD_PATHS:
        app.router.add_get(path, respond.handle)
