"""``codetether mcp``: the Model Context Protocol both ways: use MCP servers' tools, or serve ours."""

import click

from ..group import LazyGroup


class _McpGroup(LazyGroup):
    table = {
        "list": ("codetether.cli.commands.mcp_client:list_servers", "List the configured MCP servers and their state."),
        "tools": ("codetether.cli.commands.mcp_client:tools", "List the tools an MCP server offers."),
        "call": ("codetether.cli.commands.mcp_client:call", "Call one tool of an MCP server."),
        "serve": ("codetether.cli.commands.mcp_serve:serve", "Serve CodeTether's tools to MCP clients over stdio."),
    }


@click.group(cls=_McpGroup)
def mcp() -> None:
    """Use MCP servers' tools, or serve CodeTether's own tools over MCP."""
