"""What a ``[mcp.NAME]`` entry means once the runtime's environment is known.

Secrets stay out of the config file: ``${VAR}`` in an ``env`` or ``headers`` value is taken from the
runtime's environment when the server starts (``$$`` is a literal ``$``). A reference to a variable
that is not set is an error naming it, not an empty header.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..config.schema import McpServerSection
from ..errors import CodetetherError

_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Tool names providers accept: OpenAI and Anthropic both take ^[a-zA-Z0-9_-]{1,64}$.
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]")
MAX_TOOL_NAME = 64


class McpError(CodetetherError):
    """An MCP server is misconfigured, did not start, crashed, or did not answer in time."""


@dataclass(frozen=True)
class ServerConfig:
    """One server's settings with its references resolved."""

    name: str
    transport: str  # "stdio" or "http"
    command: str | None
    args: list[str]
    env: dict[str, str]
    cwd: str | None
    url: str | None
    headers: dict[str, str]
    timeout: float
    startup_timeout: float


def expand(value: str, environ: Mapping[str, str], where: str) -> str:
    """``value`` with each ``${VAR}`` replaced from ``environ``."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "$"
        if name not in environ:
            raise McpError(f"{where} refers to ${{{name}}}, which is not set", f"export {name} before starting")
        return environ[name]

    return _REFERENCE.sub(one, value)


def resolve(name: str, section: McpServerSection, environ: Mapping[str, str]) -> ServerConfig:
    """The settings of ``[mcp.name]``, checked: exactly one of ``command`` and ``url``."""
    if bool(section.command) == bool(section.url):
        raise McpError(
            f"[mcp.{name}] needs either command (a stdio server) or url (a streamable-HTTP server)",
            'e.g. command = "uvx", args = ["mcp-server-git"]  or  url = "http://127.0.0.1:8000/mcp"',
        )
    return ServerConfig(
        name=name,
        transport="stdio" if section.command else "http",
        command=section.command,
        args=list(section.args),
        env={k: expand(v, environ, f"[mcp.{name}] env.{k}") for k, v in section.env.items()},
        cwd=section.cwd,
        url=section.url,
        headers={k: expand(v, environ, f"[mcp.{name}] headers.{k}") for k, v in section.headers.items()},
        timeout=section.timeout,
        startup_timeout=section.startup_timeout,
    )


def tool_name(server: str, tool: str) -> str:
    """``server__tool`` as the model sees it, in the characters and length providers accept."""
    return _NOT_IN_NAME.sub("_", f"{server}__{tool}")[:MAX_TOOL_NAME]
