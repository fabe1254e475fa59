"""The Model Context Protocol client: ``[mcp.NAME]`` servers' tools, resources and prompts (docs/mcp.md).

Nothing here imports the ``mcp`` SDK until a configured server is used.
"""
