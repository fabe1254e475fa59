"""``codetether tui``: the terminal UI in the current directory (bare ``codetether`` on a terminal too)."""

import sys

import click

from ...errors import CodetetherError
from ..context import AppContext


@click.command()
@click.option("--model", "-m", default=None, help="provider/model for this session's runs.")
@click.option("-c", "--continue", "continue_latest", is_flag=True, help="Continue the latest session here.")
@click.option("--session", "session_id", default=None, help="Continue the session with this id.")
@click.pass_context
def tui(ctx: click.Context, model: str | None, continue_latest: bool, session_id: str | None) -> None:
    """Open the terminal UI: chat, sessions, models, swarm, Ralph and bus views."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CodetetherError("the TUI needs a terminal", 'for scripts use `codetether run "..."`')
    launch(ctx.ensure_object(AppContext), model=model, session=session_id or ("latest" if continue_latest else "new"))


def launch(app_context: AppContext, *, model: str | None, session: str) -> None:
    import asyncio
    from pathlib import Path

    from ...runtime import Runtime
    from ...tui.app import App

    loaded = app_context.config()
    notices: list[str] = []
    apps: list[App] = []

    def notice(text: str) -> None:  # in the chat once the TUI is up; printed after it otherwise
        if apps:
            apps[0].notice(text)
        else:
            notices.append(text)

    async def main() -> str | None:
        async with Runtime(loaded, notice=notice) as runtime:
            app = App(runtime, Path.cwd(), model=model, session=session)
            apps.append(app)
            for text in notices:
                app.notice(text)
            notices.clear()
            return await app.run()

    try:
        import uvloop

        session_id = uvloop.run(main())
    except ImportError:
        session_id = asyncio.run(main())
    for text in notices:
        click.echo(f"note: {text}", err=True)
    if session_id:
        click.echo(
            f"session {session_id} kept; resume it with `codetether tui -c` or `codetether tui --session {session_id}`"
        )
