"""The agent card: what `codetether serve` tells A2A clients about itself (spec 1.0 §8, 0.3 §5).

One document serves both spec versions: the 1.0 fields and the 0.3 fields side by side, every
interface actually served listed once per version, and the bearer scheme in both shapes. The
extended card (``GetExtendedAgentCard``, authenticated callers only) adds a skill per agent tool.
"""

import msgspec

from .._version import __version__
from .types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    LegacyInterface,
)
from .versions import SUPPORTED

BEARER = "bearer"
# 1.0 reads httpAuthSecurityScheme; 0.3 reads type/scheme. Each ignores the other's keys.
BEARER_SCHEME = {
    "httpAuthSecurityScheme": {"scheme": "Bearer", "description": "the server's token (CODETETHER_AUTH_TOKEN)"},
    "type": "http",
    "scheme": "bearer",
    "description": "the server's token (CODETETHER_AUTH_TOKEN)",
}

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
    http_url: str  # base URL of the HTTP server, e.g. http://127.0.0.1:4096
    grpc_address: str | None = None  # host:port, when gRPC is served


def build_card(name: str, served: ServedInterfaces, *, extended_skills: list[AgentSkill] | None = None) -> AgentCard:
    base = served.http_url.rstrip("/")
    bindings = [("JSONRPC", base + "/"), ("HTTP+JSON", base + "/a2a/rest")]  # every binding speaks both versions
    if served.grpc_address:
        bindings.append(("GRPC", served.grpc_address))
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
        protocol_version="0.3.0",
        url=base + "/",
        preferred_transport="JSONRPC",
        additional_interfaces=[LegacyInterface(url=url, transport=binding) for binding, url in bindings[1:]],
        security=[{BEARER: []}],
        supports_authenticated_extended_card=True,
    )


def tool_skills() -> list[AgentSkill]:
    """One skill per built-in tool: the detail only authenticated callers see."""
    from ..tools.registry import builtin_tools

    return [
        AgentSkill(
            id=f"tool.{tool.name}",
            name=tool.name,
            description=tool.description.strip().split("\n", 1)[0],
            tags=["tool"],
        )
        for tool in builtin_tools()
    ]
