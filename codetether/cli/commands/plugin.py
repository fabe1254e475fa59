"""``codetether plugin``: create keys, sign, verify, install, list and remove signed plugins."""

import os
from pathlib import Path

import click

from ..context import AppContext

_dir = click.Path(exists=True, file_okay=False, path_type=Path)


@click.group()
def plugin() -> None:
    """Signed plugins: tools from trusted publishers, run in the sandbox."""


@plugin.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Private key file.")
def keygen(out: Path) -> None:
    """Create an Ed25519 signing key (private key to --out, mode 0600; public key printed)."""
    from ...errors import UsageError
    from ...plugins.manifest import generate_key

    if out.exists():
        raise UsageError(f"{out} already exists; not overwriting a key")
    private, public = generate_key()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(private + "\n")
    click.echo(f"private key: {out}\npublic key (give this to users): {public}")


@plugin.command()
@click.argument("directory", type=_dir)
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
def sign(directory: Path, key: Path) -> None:
    """Hash every file of DIRECTORY into its manifest.json and sign it."""
    from ...plugins.manifest import sign as sign_plugin

    manifest = sign_plugin(directory, key.read_text().strip())
    click.echo(f"signed {manifest.id} {manifest.version} ({len(manifest.files)} files)")


@plugin.command()
@click.argument("directory", type=_dir)
@click.pass_context
def verify(ctx: click.Context, directory: Path) -> None:
    """Check a plugin's signature, signer, file hashes and policy."""
    from ...plugins.manifest import verify as verify_plugin
    from ...plugins.store import max_policy

    config = ctx.ensure_object(AppContext).config().config
    manifest, signer = verify_plugin(directory, config.plugins.trusted_keys, max_policy(config))
    click.echo(f"ok: {manifest.id} {manifest.version}, tool {manifest.name!r}, signed by {signer}")


@plugin.command()
@click.argument("directory", type=_dir)
@click.pass_context
def install(ctx: click.Context, directory: Path) -> None:
    """Verify DIRECTORY and install it; its tool is offered to the agent from the next run."""
    from ...plugins.store import install as install_plugin

    manifest, signer = install_plugin(directory, ctx.ensure_object(AppContext).config().config)
    click.echo(f"installed {manifest.id} {manifest.version} (tool {manifest.name!r}, signed by {signer})")


@plugin.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Installed plugins and whether each still verifies."""
    from ...plugins.manifest import PluginError
    from ...plugins.manifest import verify as verify_plugin
    from ...plugins.store import installed, max_policy

    config = ctx.ensure_object(AppContext).config().config
    rows = installed()
    if not rows:
        click.echo("no plugins installed")
    for directory in rows:
        try:
            manifest, signer = verify_plugin(directory, config.plugins.trusted_keys, max_policy(config))
            click.echo(f"{manifest.id} {manifest.version}  tool {manifest.name}  signed by {signer}")
        except PluginError as exc:
            click.echo(f"{directory.name}  NOT LOADED: {exc}")


@plugin.command()
@click.argument("plugin_id")
def remove(plugin_id: str) -> None:
    """Uninstall a plugin (its version is remembered, so an older copy cannot be reinstalled silently)."""
    from ...errors import UsageError
    from ...plugins.store import remove as remove_plugin

    if not remove_plugin(plugin_id):
        raise UsageError(f"no installed plugin {plugin_id!r}", "see `codetether plugin list`")
    click.echo(f"removed {plugin_id}")
