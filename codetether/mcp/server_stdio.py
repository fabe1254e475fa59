"""The MCP wire for :class:`~codetether.mcp.server.ToolServer`: the official SDK's low-level server on stdio.

stdout carries the protocol and nothing else: the SDK points fd 1 at stderr while it serves, so a stray
print or a child process's output cannot corrupt a message, and our notices and logs go to stderr.
The SDK is imported here only, so the rest of CodeTether never pays for it.
"""

from typing import Any

from .._version import __version__
from .server import Reply, ServedTool, ToolServer, client_label

# MCP's tool hints, from what the runner knows of each tool's risk.
_READ_ONLY = {"read"}
_DESTRUCTIVE = {"edit", "execute", "delegate"}
_OPEN_WORLD = {"network", "execute", "delegate"}


def _tool(types: Any, tool: ServedTool) -> Any:
    return types.Tool(
        name=tool.spec.name,
        description=tool.spec.description,
        input_schema=tool.spec.parameters,
        annotations=types.ToolAnnotations(
            read_only_hint=tool.kind in _READ_ONLY,
            destructive_hint=tool.kind in _DESTRUCTIVE,
            open_world_hint=tool.kind in _OPEN_WORLD,
        ),
    )


def _result(types: Any, reply: Reply) -> Any:
    content: list[Any] = [types.TextContent(type="text", text=reply.text)]
    if reply.image is not None:
        content.append(types.ImageContent(type="image", data=reply.image["data"], mime_type=reply.image["media_type"]))
    return types.CallToolResult(content=content, structured_content=reply.structured, is_error=reply.is_error)


def _client(ctx: Any) -> str:
    params = ctx.session.client_params
    return client_label(params.client_info.name if params is not None and params.client_info is not None else None)


async def serve_stdio(tools: ToolServer) -> None:
    """Answer MCP requests on stdin/stdout until the client closes the stream."""
    from mcp import types
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=[_tool(types, t) for t in tools.tools(_client(ctx))])

    async def call_tool(ctx: Any, params: Any) -> Any:
        return _result(types, await tools.call(_client(ctx), params.name, params.arguments))

    server: Server = Server(
        "codetether",
        version=__version__,
        instructions="CodeTether's coding tools, confined to one workspace and governed by its permission rules.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await tools.aclose()
