"""The MCP wire for :class:`~codetether.mcp.server.ToolServer`: the official SDK's low-level server on stdio.

stdout carries the protocol and nothing else: the SDK points fd 1 at stderr while it serves, so a stray
print or a child process's output cannot corrupt a message, and our notices and logs go to stderr.
The SDK is imported here only, so the rest of CodeTether never pays for it.
"""

from typing import Any

from .._version import __version__
from .server import Reply, ServedTool, ToolServer, client_label

INSTRUCTIONS = "CodeTether's coding tools, confined to one workspace and governed by its permission rules."

# MCP's tool hints, from what the runner knows of each tool's risk.
_READ_ONLY = {"read"}
_DESTRUCTIVE = {"edit", "execute", "delegate"}
_OPEN_WORLD = {"network", "execute", "delegate"}


# Results are built from their wire JSON (camelCase), which both SDK majors accept (1.x names fields in
# camelCase, 2.x in snake_case with camelCase aliases).
def _tool(tool: ServedTool) -> dict[str, Any]:
    hints = {
        "readOnlyHint": tool.kind in _READ_ONLY,
        "destructiveHint": tool.kind in _DESTRUCTIVE,
        "openWorldHint": tool.kind in _OPEN_WORLD,
    }
    return {
        "name": tool.spec.name,
        "description": tool.spec.description,
        "inputSchema": tool.spec.parameters,
        "annotations": hints,
    }


def _result(reply: Reply) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}]
    if reply.image is not None:
        content.append({"type": "image", "data": reply.image["data"], "mimeType": reply.image["media_type"]})
    result: dict[str, Any] = {"content": content, "isError": reply.is_error}
    if reply.structured is not None:
        result["structuredContent"] = reply.structured
    return result


def _client(session: Any) -> str:
    params = session.client_params
    info = params.model_dump(by_alias=True).get("clientInfo") if params is not None else None
    return client_label(info.get("name") if info else None)


def _server(tools: ToolServer) -> Any:
    """The SDK's low-level server with our two handlers, registered as the installed major version wants."""
    from mcp import types
    from mcp.server.lowlevel import Server

    def tool_list(session: Any) -> list[Any]:
        return [types.Tool.model_validate(_tool(t)) for t in tools.tools(_client(session))]

    async def call(session: Any, name: str, arguments: dict[str, Any] | None) -> Any:
        return types.CallToolResult.model_validate(_result(await tools.call(_client(session), name, arguments)))

    if hasattr(Server, "list_tools"):  # mcp 1.x: decorators, the request's context in a context variable
        server = Server("codetether", version=__version__, instructions=INSTRUCTIONS)

        @server.list_tools()
        async def list_tools_v1() -> list[Any]:
            return tool_list(server.request_context.session)

        # Arguments reach the runner as given: it answers bad ones with the text the model would see.
        @server.call_tool(validate_input=False)
        async def call_tool_v1(name: str, arguments: dict[str, Any]) -> Any:
            return await call(server.request_context.session, name, arguments)

        return server

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=tool_list(ctx.session))

    async def call_tool(ctx: Any, params: Any) -> Any:
        return await call(ctx.session, params.name, params.arguments)

    return Server(
        "codetether",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(tools: ToolServer) -> None:
    """Answer MCP requests on stdin/stdout until the client closes the stream."""
    from mcp.server.stdio import stdio_server

    server = _server(tools)
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await tools.aclose()
