"""``codetether models``: what each provider offers, with limits and prices; ``models pull NAME``
downloads a local model (the tool router's FunctionGemma)."""

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


@click.group(invoke_without_command=True)
@click.option("--provider", "-p", default=None, help="Only this provider.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for each live model list.")
@click.pass_context
def models(ctx: click.Context, provider: str | None, as_json: bool, timeout: float) -> None:
    """List models: built-in defaults merged with each configured provider's live list."""
    if ctx.invoked_subcommand is not None:
        return
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


@models.command()
@click.argument("name", type=click.Choice(["functiongemma"]))
@click.option("--url", default=None, help="Download from this URL instead of the pinned one (a mirror).")
@click.option("--sha256", "sha256", default=None, help="The SHA-256 the file must have (required with --url).")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds without data before giving up.")
def pull(name: str, url: str | None, sha256: str | None, timeout: float) -> None:
    """Download a local model into the data dir and verify its SHA-256.

    functiongemma: FunctionGemma 270M (GGUF, ~250 MB), the tool router's model once it is there
    (enable the router with CODETETHER_TOOL_ROUTER_ENABLED=1).
    """
    import msgspec

    from ...errors import UsageError
    from ...paths import data_dir
    from ...router.pull import SOURCES, pull, pulled_model

    source = SOURCES[name]
    if url is not None and sha256 is None:
        raise UsageError("--url needs --sha256: a download is only kept when its hash is known", "pass --sha256 HEX")
    if url is not None or sha256 is not None:
        source = msgspec.structs.replace(source, url=url or source.url, sha256=sha256 or source.sha256, size=None)
    shown = [-1]

    def progress(received: int, total: int | None) -> None:
        step = received * 10 // total if total else received // (50 << 20)
        if step != shown[0]:
            shown[0] = step
            done = f"{received >> 20} MiB" + (f" of {total >> 20} MiB" if total else "")
            click.echo(f"downloading {name}: {done}", err=True)

    path, downloaded = pull(source, pulled_model(data_dir(), name), progress=progress, timeout=timeout)
    verb = "downloaded and verified" if downloaded else "already present and verified"
    click.echo(f"{name} {verb}: {path}")
    click.echo("the tool router uses it when enabled: CODETETHER_TOOL_ROUTER_ENABLED=1 (or tool_router.enabled)")
