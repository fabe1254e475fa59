"""``codetether models``: what each provider offers, with limits and prices."""

import click

from .. import output
from ..context import AppContext


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@click.command()
@click.option("--provider", "-p", default=None, help="Only this provider.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for each live model list.")
@click.pass_context
def models(ctx: click.Context, provider: str | None, as_json: bool, timeout: float) -> None:
    """List models: built-in defaults merged with each configured provider's live list."""
    import asyncio

    import msgspec

    from ...providers.http import close_shared_session
    from ...providers.models import list_models
    from ...secrets import SecretResolver

    config = ctx.ensure_object(AppContext).config().config

    async def run():
        try:
            return await list_models(config, SecretResolver.from_environment(), provider, timeout=timeout)
        finally:
            await close_shared_session()

    listing = asyncio.run(run())
    for warning in listing.warnings:
        output.warn(warning)
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(listing.models), indent=2).decode())
        return
    header = ("provider", "model", "context", "max out", "tools", "$/M in", "$/M out", "source", "default")
    rows = [
        (
            m.provider,
            m.id,
            m.context,
            m.max_output,
            m.tools,
            m.input_price,
            m.output_price,
            m.source,
            "*" if m.default else "",
        )
        for m in listing.models
    ]
    table = [header, *[tuple(_cell(v) for v in row) for row in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
