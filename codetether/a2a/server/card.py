"""The agent card: what `codetether serve` tells A2A clients about itself (spec 1.0 §4.4.1/§8, 0.3 §5).

The card is built once as a spec 1.0 card (``build_card``): that is what 1.0 clients get, and 1.0's
JSON Schema allows no extra fields, so it carries nothing of 0.3. ``card_v03`` derives the 0.3 shape
from it (``url``/``preferredTransport``/``additionalInterfaces``, ``protocolVersion``, ``security``,
type-tagged security schemes) for 0.3 clients; the public card route and the 0.3 extended-card
operations serve that one. Every interface URL is absolute (``http://host:port/…``, gRPC included):
0.3 clients parse it as a URL, and behind a proxy ``[a2a] public_url`` names the host clients reach.
The extended card (``GetExtendedAgentCard``, authenticated callers only) adds a skill per agent tool.
"""

from typing import Any
from urllib.parse import urlsplit

import msgspec

from ..._version import __version__
from ...errors import UsageError
from ..domain.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
)
from ..domain.versions import SUPPORTED, V03

BEARER = "bearer"
BEARER_SCHEME = {
    "httpAuthSecurityScheme": {"scheme": "Bearer", "description": "the server's token (CODETETHER_AUTH_TOKEN)"}
}
V03_PROTOCOL_VERSION = "0.3.0"  # what 0.3 cards (the SDK's, the spec's schema) put in protocolVersion

# The original CodeTether's card ids first (clients route on them), then ours.
SKILLS = [
    AgentSkill(
        id="code-generation",
        name="Code Generation",
        description="Writes new code (functions, modules, tests) in its workspace and runs it to check the result.",
        tags=["coding", "code-generation"],
        examples=["Add a --json flag to the CLI and test it"],
    ),
    AgentSkill(
        id="code-review",
        name="Code Review",
        description="Reads a change or a file and reports bugs, risks and missing tests, citing files and lines.",
        tags=["code-review"],
        examples=["Review the diff on this branch"],
    ),
    AgentSkill(
        id="debugging",
        name="Debugging",
        description="Reproduces a failure with the shell tool, finds its cause and fixes it.",
        tags=["debugging"],
        examples=["Why does test_parse fail?"],
    ),
    AgentSkill(
        id="code",
        name="Write and change code",
        description="Reads, edits and runs code in its workspace with file, search, patch and shell tools.",
        tags=["coding", "refactoring"],
        examples=["Rename Config.load to Config.read everywhere"],
    ),
    AgentSkill(
        id="explain",
        name="Explain a codebase",
        description="Answers questions about the code in its workspace, citing files and lines.",
        tags=["documentation"],
        examples=["Where is the retry policy for HTTP calls?"],
    ),
]


class ServedInterfaces(msgspec.Struct, kw_only=True):
    """Where clients reach the servers: absolute URLs, the public ones when behind a proxy."""

    http_url: str  # base URL of the HTTP server, e.g. http://127.0.0.1:4096
    grpc_url: str | None = None  # the gRPC server, e.g. http://127.0.0.1:50051, when gRPC is served


def check_public_url(public_url: str) -> str:
    """``[a2a] public_url`` without its trailing slash; a UsageError unless it is empty or absolute."""
    public = public_url.strip().rstrip("/")
    parts = urlsplit(public)
    if public and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise UsageError(
            f"[a2a] public_url {public_url!r} is not an absolute http:// or https:// URL",
            "set it to the URL clients reach this server at, e.g. https://agent.example.com",
        )
    return public


def served_interfaces(http_url: str, grpc_address: str | None, public_url: str = "") -> ServedInterfaces:
    """The card's URLs for servers listening at ``http_url`` and ``grpc_address`` (``host:port``).

    With ``public_url`` set, HTTP is reached there and gRPC at the same scheme and host on the gRPC
    port (a proxy in front forwards both); without it, both are ``http://`` on the address served.
    """
    public = check_public_url(public_url)
    if public:
        parts = urlsplit(public)
        http_url = public
    grpc_url = None
    if grpc_address:
        port = grpc_address.rsplit(":", 1)[1]
        if public:
            host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
            grpc_url = f"{parts.scheme}://{host}:{port}"
        else:
            grpc_url = "http://" + grpc_address
    return ServedInterfaces(http_url=http_url.rstrip("/"), grpc_url=grpc_url)


def build_card(name: str, served: ServedInterfaces, *, extended_skills: list[AgentSkill] | None = None) -> AgentCard:
    """The spec 1.0 card: every binding once per version, 1.0 first (the preferred entry), JSON-RPC first."""
    base = served.http_url.rstrip("/")
    bindings = [("JSONRPC", base + "/"), ("HTTP+JSON", base + "/a2a/rest")]  # every binding speaks both versions
    if served.grpc_url:
        bindings.append(("GRPC", served.grpc_url))
    interfaces = [
        AgentInterface(url=url, protocol_binding=binding, protocol_version=version)
        for version in SUPPORTED
        for binding, url in bindings
    ]
    return AgentCard(
        name=name,
        description="CodeTether: an AI coding agent that reads, edits and runs code, reachable over A2A.",
        version=__version__,
        supported_interfaces=interfaces,
        provider=AgentProvider(url="https://github.com/codetether", organization="CodeTether"),
        capabilities=AgentCapabilities(streaming=True, push_notifications=True, extended_agent_card=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[*SKILLS, *(extended_skills or [])],
        security_schemes={BEARER: BEARER_SCHEME},
        security_requirements=[{"schemes": {BEARER: {"list": []}}}],
    )


def card_v1(card: AgentCard) -> dict[str, Any]:
    """The card as spec 1.0 JSON: its 1.0 fields only (a card decoded from a 0.3 peer keeps none of 0.3's)."""
    data = msgspec.to_builtins(card)
    for key in _V03_ONLY:
        data.pop(key, None)
    return data


_V03_ONLY = ("protocolVersion", "url", "preferredTransport", "additionalInterfaces", "security",
             "supportsAuthenticatedExtendedCard")  # fmt: skip
_V03_CAPABILITIES = ("streaming", "pushNotifications", "stateTransitionHistory", "extensions")
_V03_SKILL = ("id", "name", "description", "tags", "examples", "inputModes", "outputModes")
_V03_CARD = ("name", "description", "version", "provider", "documentationUrl", "iconUrl", "defaultInputModes",
             "defaultOutputModes")  # fmt: skip


def card_v03(card: AgentCard) -> dict[str, Any]:
    """The card as spec 0.3 JSON (0.3 §5.5, its JSON Schema's ``AgentCard``), derived from the 1.0 card.

    The main ``url`` is the first 0.3 interface (JSON-RPC), ``additionalInterfaces`` lists every 0.3
    interface, the main one included (0.3 §5.6.2 "Completeness").
    """
    v1 = card_v1(card)
    interfaces = [i for i in card.supported_interfaces if i.protocol_version.startswith(V03)]
    out: dict[str, Any] = {"protocolVersion": V03_PROTOCOL_VERSION}
    out |= {key: v1[key] for key in _V03_CARD if key in v1}
    if interfaces:
        out["url"] = interfaces[0].url
        out["preferredTransport"] = interfaces[0].protocol_binding or "JSONRPC"
        out["additionalInterfaces"] = [{"url": i.url, "transport": i.protocol_binding} for i in interfaces]
    capabilities = v1.get("capabilities", {})
    out["capabilities"] = {key: capabilities[key] for key in _V03_CAPABILITIES if key in capabilities}
    out["skills"] = [{key: skill[key] for key in _V03_SKILL if key in skill} for skill in v1.get("skills", [])]
    out.setdefault("defaultInputModes", [])
    out.setdefault("defaultOutputModes", [])
    if card.security_schemes:
        out["securitySchemes"] = {name: scheme_v03(scheme) for name, scheme in card.security_schemes.items()}
    if card.security_requirements:
        out["security"] = [
            {name: list(scopes.get("list", [])) for name, scopes in requirement.get("schemes", {}).items()}
            for requirement in card.security_requirements
        ]
    if capabilities.get("extendedAgentCard"):
        out["supportsAuthenticatedExtendedCard"] = True
    return out


def scheme_v03(scheme: dict[str, Any]) -> dict[str, Any]:
    """A 1.0 ``SecurityScheme`` (one ``…SecurityScheme`` member) as 0.3's type-tagged OpenAPI object."""
    if "httpAuthSecurityScheme" in scheme:
        return {"type": "http", **_lower_scheme(scheme["httpAuthSecurityScheme"])}
    if "apiKeySecurityScheme" in scheme:
        api_key = dict(scheme["apiKeySecurityScheme"])
        return {"type": "apiKey", "in": api_key.pop("location", "header"), **api_key}
    if "oauth2SecurityScheme" in scheme:
        return {"type": "oauth2", **scheme["oauth2SecurityScheme"]}
    if "openIdConnectSecurityScheme" in scheme:
        return {"type": "openIdConnect", **scheme["openIdConnectSecurityScheme"]}
    if "mtlsSecurityScheme" in scheme:
        return {"type": "mutualTLS", **scheme["mtlsSecurityScheme"]}
    return dict(scheme)  # already 0.3-shaped (a card decoded from a 0.3 peer)


def _lower_scheme(http: dict[str, Any]) -> dict[str, Any]:
    # RFC 7235 schemes are case-insensitive; 0.3's examples (and its SDK) spell bearer in lower case.
    return {**http, "scheme": str(http.get("scheme", "")).lower()}


def card_for(card: AgentCard, version: str) -> dict[str, Any]:
    """The card in the shape of spec ``version`` (``1.0`` or ``0.3``)."""
    return card_v03(card) if version == V03 else card_v1(card)


def tool_skills() -> list[AgentSkill]:
    """One skill per built-in tool: the detail only authenticated callers see."""
    from ...tools.registry import builtin_tools

    return [
        AgentSkill(
            id=f"tool.{tool.name}",
            name=tool.name,
            description=tool.description.strip().split("\n", 1)[0],
            tags=["tool"],
        )
        for tool in builtin_tools()
    ]
