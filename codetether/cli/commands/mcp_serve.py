"""``codetether mcp serve``: CodeTether's tools (and, with ``--agent``, whole agent tasks) over MCP stdio."""

from pathlib import Path

import click

from ..context import AppContext


@click.command()
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory the tools are confined to (default: the current one).",
)
@click.option(
    "--access-mode",
    type=click.Choice(["ask", "approve", "full"]),
    default=None,
    help="What runs without asking (default [agent] access_mode); nobody can be asked, so 'ask' denies.",
)
@click.option("--agent", "with_agent", is_flag=True, help="Also serve run_agent, which runs a whole agent task.")
@click.option("--model", "-m", default=None, help="provider/model run_agent uses (default: [default]).")
@click.pass_context
def serve(ctx, workspace, access_mode, with_agent, model) -> None:
    """Serve CodeTether's tools to an MCP client on stdin/stdout (stdout is the protocol; notes go to stderr)."""
    import asyncio

    from ...mcp.server import ServeOptions, ToolServer
    from ...mcp.server_stdio import serve_stdio
    from ...runtime import Runtime
    from .. import output

    loaded = ctx.ensure_object(AppContext).config()
    options = ServeOptions(
        workspace=(workspace or Path.cwd()).resolve(), access_mode=access_mode, agent=with_agent, model=model
    )

    async def main() -> None:
        async with Runtime(loaded, notice=output.notice) as runtime:
            server = ToolServer(runtime, options)
            server.check()
            await serve_stdio(server)

    asyncio.run(main())
