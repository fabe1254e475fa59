"""``codetether auth``: keep provider keys in the private keystore, and see where each key comes from.

Core modules are imported inside the commands so that ``auth --help`` stays as light as ``--help``.
"""

import sys

import click

from ...errors import UsageError, VaultError
from .. import output
from ..context import AppContext


def _read_key(provider: str) -> str:
    if sys.stdin.isatty():
        key = click.prompt(f"API key for {provider}", hide_input=True, default="", show_default=False)
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        raise UsageError(
            f"no key given for {provider}",
            f"type it at the prompt, or pipe it: `... | codetether auth login {provider}`",
        )
    return key


@click.group()
def auth() -> None:
    """Store, list and remove provider credentials."""


@auth.command()
@click.argument("provider")
@click.option("--base-url", default=None, help="Store an API root with the key (e.g. a proxy).")
@click.option("--organization", default=None, help="Store an organization id with the key.")
def login(provider: str, base_url: str | None, organization: str | None) -> None:
    """Save PROVIDER's key in the keystore (read from a hidden prompt, or from stdin when piped)."""
    from ...secrets import Keystore, StoredCredential, register_secret

    key = _read_key(provider)
    register_secret(key)
    store = Keystore()
    store.put(provider, StoredCredential(api_key=key, base_url=base_url, organization=organization))
    click.echo(f"saved the key for {provider} in {store.path}")


@auth.command()
@click.argument("provider")
def logout(provider: str) -> None:
    """Remove PROVIDER's key from the keystore."""
    from ...secrets import Keystore

    store = Keystore()
    if store.delete(provider):
        click.echo(f"removed the key for {provider} from {store.path}")
    else:
        click.echo(f"no key for {provider} in {store.path}; nothing changed")


@auth.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Show each provider and where its key comes from (vault, keystore or env), never the key."""
    from ...secrets import ENV_VARS, SecretResolver

    resolver = SecretResolver.from_environment()
    names = set(ENV_VARS) | set(resolver.keystore.providers())
    try:
        names |= set(ctx.ensure_object(AppContext).config().config.providers)
    except Exception as exc:  # a broken config must not hide where the keys are
        output.warn(f"config not read: {exc}")
    if resolver.vault is not None:
        try:
            names |= set(resolver.vault.providers())
        except VaultError as exc:
            output.warn(f"{exc}; showing other sources only")
            resolver.vault = None
    if not resolver.env_enabled:
        output.notice("environment variables are ignored (CODETETHER_DISABLE_ENV_FALLBACK is set)")
    width = max(map(len, names))
    for name in sorted(names):
        secret = resolver.resolve(name)
        where = f"{secret.source:<8} {secret.origin}" if secret else "-        not configured"
        click.echo(f"{name:<{width}}  {where}")
