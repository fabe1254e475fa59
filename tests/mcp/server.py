"""A real MCP server written with the official SDK, for the client tests.

``python server.py`` serves over stdio; ``python server.py http PORTFILE`` serves streamable HTTP on
127.0.0.1 (a free port, written to PORTFILE once it listens). ``--crash-at-start`` exits before
speaking MCP. The ``crash`` tool ends the process mid-session; ``hang`` never answers.
"""

import asyncio
import os
import sys

try:
    from mcp.server.mcpserver import Context, MCPServer
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import Context
    from mcp.server.fastmcp import FastMCP as MCPServer

server = MCPServer("fixture")


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return f"echo: {text}"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def secret() -> str:
    """Return the FIXTURE_SECRET environment variable the server was started with."""
    return os.environ.get("FIXTURE_SECRET", "<unset>")


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
def fail() -> str:
    """Always fails."""
    raise ValueError("the fixture tool failed on purpose")


@server.tool()
def crash() -> str:
    """Exit the server process without answering."""
    sys.stderr.write("fixture: crashing now\n")
    sys.stderr.flush()
    os._exit(3)


@server.tool()
async def hang() -> str:
    """Never answer (the server itself stays responsive)."""
    await asyncio.Event().wait()
    return "unreachable"


@server.tool()
def header(name: str, ctx: Context) -> str:
    """The value of an HTTP header of this request (streamable HTTP only)."""
    headers = getattr(ctx, "headers", None)
    if headers is None:  # mcp 1.x keeps the Starlette request on the request context
        request = ctx.request_context.request
        headers = request.headers if request is not None else {}
    return {k.lower(): v for k, v in (headers or {}).items()}.get(name.lower(), "<none>")


@server.resource("fixture://readme", name="readme", description="the fixture's readme")
def readme() -> str:
    return "fixture readme text"


@server.prompt()
def review(path: str) -> str:
    """Ask for a review of a file."""
    return f"Please review {path}"


def serve_http(port_file: str) -> None:
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(server.streamable_http_app(), log_level="warning")
    uv = uvicorn.Server(config)
    original = uv.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(sock.getsockname()[1]))
        os.replace(port_file + ".tmp", port_file)

    uv.startup = startup
    uv.run(sockets=[sock])


if __name__ == "__main__":
    if "--crash-at-start" in sys.argv:
        sys.stderr.write("fixture: cannot start, missing configuration\n")
        sys.exit(2)
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        serve_http(sys.argv[2])
    else:
        server.run()
