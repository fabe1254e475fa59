"""MCP servers' tools as ordinary tools: ``NAME__tool`` with the server's own JSON Schema.

They take the one tool path (tools/runner.py) like plugins do: arguments decoded as a dict, the
permission check (kind ``execute``: third-party code, asked about in ask and approve modes, subject
``NAME__tool`` so ``[permissions.NAME__tool]`` and ``[permissions.execute]`` rules apply), the audit
record, truncation. ``mcp_resource`` lets the model list and read the servers' resources.
"""

from typing import Any

import msgspec

from ..tools.base import ToolDef, ToolError, ToolResult
from .client import McpClients
from .config import McpError, tool_name

RESOURCE_TOOL = "mcp_resource"


def render(result: dict[str, Any]) -> str:
    """A tool result's content blocks as text the model can read."""
    parts = []
    for block in result.get("content", []):
        kind = block.get("type")
        if kind == "text":
            parts.append(block.get("text", ""))
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {block.get('mimeType', '?')}, {len(block.get('data', '')) * 3 // 4} bytes]")
        elif kind == "resource":
            parts.append(render_contents([block.get("resource", {})]))
        elif kind == "resource_link":
            parts.append(f"[resource {block.get('uri', '')}: {block.get('description') or block.get('name', '')}]")
    if not parts and result.get("structuredContent") is not None:
        parts.append(msgspec.json.encode(result["structuredContent"]).decode())
    return "\n".join(parts)


def render_contents(contents: list[dict[str, Any]]) -> str:
    """A resource's contents: text as is, binary as a note of its size."""
    parts = []
    for item in contents:
        if "text" in item:
            parts.append(item["text"])
        else:
            size = len(item.get("blob", "")) * 3 // 4
            parts.append(f"[binary {item.get('mimeType', 'data')} {item.get('uri', '')}, {size} bytes]")
    return "\n".join(parts)


def _schema(tool: dict[str, Any]) -> dict[str, Any]:
    schema = dict(tool.get("inputSchema") or {})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def mcp_tool(clients: McpClients, server: str, tool: dict[str, Any]) -> ToolDef:
    """One server tool as a ToolDef named ``server__tool``."""
    name = tool_name(server, tool["name"])

    async def run(params: dict[str, Any], ctx: Any) -> ToolResult:
        try:
            result = await clients.run(server, "call_tool", tool["name"], params)
        except McpError as exc:
            raise ToolError(exc.message, exc.hint) from None
        text = render(result)
        if result.get("isError"):
            raise ToolError(f"{name} failed: {text or 'no details'}")
        return ToolResult(output=text, metadata={"mcp_server": server, "mcp_tool": tool["name"]})

    description = tool.get("description") or tool.get("title") or tool["name"]
    return ToolDef(
        name=name,
        params=dict,  # type: ignore[arg-type]
        run=run,
        description=f"{description} (MCP server {server})",
        kind="execute",
        subject=lambda params: name,
        schema=_schema(tool),
    )


class ResourceParams(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    server: str = msgspec.field(default="")
    uri: str = msgspec.field(default="")


RESOURCE_SCHEMA = {
    "type": "object",
    "properties": {
        "server": {"type": "string", "description": "the MCP server's name; empty: every server"},
        "uri": {"type": "string", "description": "the resource to read; empty: list the server's resources"},
    },
    "additionalProperties": False,
}


def resource_tool(clients: McpClients, servers: list[str]) -> ToolDef:
    """``mcp_resource``: list the servers' resources, or read one."""

    async def run(params: ResourceParams, ctx: Any) -> str:
        if params.uri and not params.server:
            raise ToolError("say which server the resource is on", f"servers: {', '.join(servers)}")
        if params.server and params.server not in servers:
            raise ToolError(f"no MCP server named {params.server!r}", f"servers: {', '.join(servers)}")
        try:
            if params.uri:
                return render_contents((await clients.run(params.server, "read_resource", params.uri))["contents"])
            lines = []
            for server in [params.server] if params.server else servers:
                for item in await clients.run(server, "list_resources"):
                    about = item.get("description") or item.get("name", "")
                    lines.append(f"{server}  {item['uri']}  {about}".rstrip())
        except McpError as exc:
            raise ToolError(exc.message, exc.hint) from None
        return "\n".join(lines) or "no resources"

    return ToolDef(
        name=RESOURCE_TOOL,
        params=ResourceParams,
        run=run,
        description=(
            "List the resources the MCP servers offer (leave uri empty), or read one (server and uri). "
            f"Servers: {', '.join(servers)}."
        ),
        kind="read",
        subject=None,
        schema=RESOURCE_SCHEMA,
    )


def mcp_tools(clients: McpClients) -> list[ToolDef]:
    """Every tool of every server that starts (others are reported once and left out), and ``mcp_resource``."""
    lists = clients.tool_lists()
    tools = [mcp_tool(clients, server, tool) for server, listed in lists.items() for tool in listed]
    if lists:
        tools.append(resource_tool(clients, list(lists)))
    return tools
