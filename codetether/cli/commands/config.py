"""``codetether config``: show, create and change settings; trust or untrust project files.

Core modules are imported inside the commands so that ``config --help`` stays as light as ``--help``.
"""

from pathlib import Path

import click

from ...errors import UsageError
from ...paths import project_root, user_config_file
from ..context import AppContext


@click.group(invoke_without_command=True)
@click.option("--show", is_flag=True, help="Print the effective config and where each value came from.")
@click.option("--json", "as_json", is_flag=True, help="With --show: print JSON instead of TOML.")
@click.option("--init", "init", is_flag=True, help="Write a commented default config file (never overwrites).")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Set a value in the user config file.")
@click.pass_context
def config(ctx: click.Context, show: bool, as_json: bool, init: bool, assignments: tuple[str, ...]) -> None:
    """Show, create and change settings (secrets are never shown or stored here)."""
    if ctx.invoked_subcommand:
        if show or init or assignments:
            raise UsageError("--show/--init/--set cannot be combined with a subcommand")
        return
    from ...config import edit, render

    path = user_config_file()
    if init:
        edit.init_file(path)
        click.echo(f"wrote {path}")
    if assignments:
        for key, value in edit.set_values(path, list(assignments)):
            click.echo(f"set {key} = {value!r} in {path}")
    if show or not (init or assignments):
        app: AppContext = ctx.ensure_object(AppContext)
        loaded = app.config()
        click.echo(render.render_json(loaded) if as_json else render.render_toml(loaded).rstrip())


@config.group()
def project() -> None:
    """Decide whether this repository's codetether.toml applies."""


_path_option = click.option(
    "--path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A directory inside the project (default: the current directory).",
)


@project.command()
@_path_option
def status(path: Path | None) -> None:
    """Say whether the project file exists and is trusted."""
    from ...config import trust

    root = project_root(path)
    state = trust.state(root)
    messages = {
        trust.TrustState.ABSENT: "no codetether.toml here; nothing to trust",
        trust.TrustState.UNTRUSTED: "untrusted: it is ignored until you run `codetether config project trust`",
        trust.TrustState.TRUSTED: "trusted: it applies",
        trust.TrustState.CHANGED: "changed since it was trusted: ignored until you review and trust it again",
    }
    click.echo(f"{trust.project_file(root)}: {messages[state]}")
    agents = trust.agent_files(root)
    if agents:  # they are trusted with the file, so they share its state
        click.echo(f"{root / trust.AGENTS_DIR}: {len(agents)} agent file(s), trusted together with codetether.toml")


@project.command("trust")
@_path_option
def trust_command(path: Path | None) -> None:
    """Apply this project's codetether.toml from now on (until it changes)."""
    from ...config import trust
    from ...config.layers import check_layer, read_toml

    root = project_root(path)

    file = trust.project_file(root)
    check_layer(read_toml(file), str(file))  # never trust a file that would break every command
    from ...agent.profiles import load_file

    agents = trust.agent_files(root)
    for agent in agents:
        load_file(agent)  # nor an agent file that would break every --agent
    trust.trust(root)
    if agents:
        click.echo(
            f"trusted {file} and {len(agents)} agent file(s) in {root / trust.AGENTS_DIR}; they apply until one changes"
        )
    else:
        click.echo(f"trusted {file}; it applies until its content changes")


@project.command("untrust")
@_path_option
def untrust_command(path: Path | None) -> None:
    """Stop applying this project's codetether.toml."""
    from ...config import trust

    root = project_root(path)
    if trust.untrust(root):
        click.echo(f"{trust.project_file(root)} is no longer trusted")
    else:
        click.echo(f"{root} was not trusted; nothing changed")
