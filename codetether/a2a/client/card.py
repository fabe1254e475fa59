"""Finding an A2A peer: fetch its agent card and pick the interface to speak.

A spec 1.0 card lists ``supportedInterfaces`` (binding, version, URL); a 0.3 card has ``url`` with
``preferredTransport`` and ``additionalInterfaces``. Cards that carry both (ours, the a2a-sdk's) are
read by their 1.0 fields. The choice prefers spec 1.0 over 0.3, then JSON-RPC over gRPC; REST
(``HTTP+JSON``) is listed but not spoken by this client.
"""

from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from ..domain import errors
from ..domain import types as t
from ..domain.versions import V03, V1
from . import decode
from .errors import A2AClientError

CARD_PATH = "/.well-known/agent-card.json"
LEGACY_CARD_PATH = "/.well-known/agent.json"  # spec 0.2
BINDINGS = {"jsonrpc": "JSONRPC", "grpc": "GRPC"}
MAX_CARD_BYTES = 1024 * 1024  # cards are a few KB
Transport = Literal["auto", "jsonrpc", "grpc"]
Version = Literal["auto", "1.0", "0.3"]


class Endpoint(msgspec.Struct, frozen=True):
    """One interface a card offers: ``binding`` (``JSONRPC``, ``GRPC``, ``HTTP+JSON``), spec ``version``
    (``1.0``/``0.3``, patch dropped) and ``url`` (a gRPC one is an absolute URL, or the ``host:port``
    target the a2a-sdk's server lists; ``grpc`` dials either)."""

    binding: str
    version: str
    url: str


def _major_minor(version: str, default: str) -> str:
    parts = version.strip().split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and parts[0] else default


def endpoints(card: t.AgentCard) -> list[Endpoint]:
    """The card's interfaces in its own order: 1.0's ``supportedInterfaces``, or, when a 0.3 card has
    none, its ``url`` + ``preferredTransport`` and ``additionalInterfaces``."""
    if card.supported_interfaces:
        return [
            Endpoint(i.protocol_binding.upper() or "JSONRPC", _major_minor(i.protocol_version, V1), i.url)
            for i in card.supported_interfaces
        ]
    version = V03 if card.protocol_version.startswith("0.") or not card.protocol_version else V1
    found = [Endpoint((card.preferred_transport or "JSONRPC").upper(), version, card.url)] if card.url else []
    found += [Endpoint(i.transport.upper(), version, i.url) for i in card.additional_interfaces]
    return list(dict.fromkeys(found))


def host_of(url: str) -> str:
    """The host an endpoint URL (or a gRPC ``host:port`` target) names, lower-cased; "" if none."""
    try:
        return (urlsplit(url if "://" in url else f"//{url}").hostname or "").lower()
    except ValueError:  # a malformed port or IPv6 literal: names no host we could trust
        return ""


def choose_endpoint(
    card: t.AgentCard, transport: Transport = "auto", version: Version = "auto", *, host: str | None = None
) -> Endpoint:
    """Spec 1.0 before 0.3; JSON-RPC before gRPC unless ``transport`` names one (REST is not spoken).
    ``host``: only interfaces on that host count (the card is whatever its server says; see ``connect``)."""
    if transport not in ("auto", *BINDINGS):
        raise A2AClientError(f"unknown transport {transport!r}", "use auto, jsonrpc or grpc")
    if version not in ("auto", V1, V03):
        raise A2AClientError(f"unknown A2A version {version!r}", "use auto, 1.0 or 0.3")
    offered = endpoints(card)
    if host is not None:
        elsewhere = [e for e in offered if host_of(e.url) != host.lower()]
        offered = [e for e in offered if e not in elsewhere]
        if not offered and elsewhere:
            listing = ", ".join(e.url for e in elsewhere)
            raise A2AClientError(
                f"agent {card.name!r} at {host} names interfaces only on other hosts ({listing}); "
                "its token is not sent there",
                f"configure the peer by the URL it serves on ({elsewhere[0].url})",
            )
    bindings = list(BINDINGS.values()) if transport == "auto" else [BINDINGS[transport]]
    for wanted_version in [V1, V03] if version == "auto" else [version]:
        for binding in bindings:
            for endpoint in offered:
                if endpoint.binding == binding and endpoint.version == wanted_version:
                    return endpoint
    listing = ", ".join(f"{e.binding} {e.version} at {e.url}" for e in offered) or "none"
    names = {"auto": "JSON-RPC or gRPC", "jsonrpc": "JSON-RPC", "grpc": "gRPC"}
    spec = "1.0 or 0.3" if version == "auto" else version
    raise A2AClientError(f"agent {card.name!r} offers no {names[transport]} interface for spec {spec} ({listing})")


def card_url(url: str) -> str:
    """``url`` itself when it names a card (``….json``), else the well-known card path under it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise A2AClientError(f"{url!r} is not an http:// or https:// URL", "give the agent's base URL or card URL")
    if parts.path.endswith(".json"):
        return url
    return url.rstrip("/") + CARD_PATH


async def _read_card(response: Any, where: str) -> bytes:
    """The body, refused past MAX_CARD_BYTES: a server named as a peer is read on a timer, and an endless
    card would otherwise grow this process's memory until it died."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_CARD_BYTES:
            raise A2AClientError(f"the agent card at {where} is over {MAX_CARD_BYTES} bytes; not read")
    return bytes(body)


async def fetch_card(url: str, *, session: Any = None, timeout: float = 30.0) -> tuple[str, t.AgentCard]:
    """``(card URL, card)`` for an agent's base or card URL (the card is public: no token needed).
    A base URL without ``agent-card.json`` is tried at 0.2's ``agent.json`` too."""
    import aiohttp

    from .jsonrpc import check_status, http_errors

    first = card_url(url)
    tries = [first] if first == url else [first, url.rstrip("/") + LEGACY_CARD_PATH]
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        for index, where in enumerate(tries):
            async with (
                http_errors(where, timeout),
                session.get(where, timeout=aiohttp.ClientTimeout(total=timeout)) as response,
            ):
                if response.status == 404 and index + 1 < len(tries):
                    continue
                await check_status(response, where, "")
                body = await _read_card(response, where)
            try:
                data = msgspec.json.decode(body)
            except msgspec.DecodeError as exc:
                raise A2AClientError(f"{where} is not an agent card (not JSON: {exc})") from exc
            try:
                return where, decode.card(data, "the agent card request")
            except errors.InvalidAgentResponseError as exc:
                raise A2AClientError(f"the agent card at {where} is not valid: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        if own:
            await session.close()
