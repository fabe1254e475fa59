"""``codetether agents``: the named agents ``run --agent``, the ``task`` tool and swarm plans can use."""

import click

from .. import output


@click.group()
def agents() -> None:
    """List the agents: built-in, yours (config dir agents/) and the trusted project's (.codetether/agents/)."""


@agents.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_agents(as_json: bool) -> None:
    """Each agent here: name, tools, model, where it is defined, and what it is for."""
    from pathlib import Path

    import msgspec

    from ...agent.profiles import load_catalog

    catalog = load_catalog(Path.cwd(), output.notice)
    profiles = list(catalog.agents.values())
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(profiles), indent=2).decode())
        return
    for profile in profiles:
        tools = "all tools" if profile.tools == "all" else ", ".join(profile.tools)
        settings = [tools, *(f"{k}: {v}" for k, v in _settings(profile))]
        click.echo(f"{profile.name}  ({profile.source})")
        click.echo(f"  {profile.description or 'no description'}")
        click.echo(f"  {'; '.join(settings)}")


def _settings(profile) -> list[tuple[str, object]]:
    pairs = [("model", profile.model), ("access_mode", profile.access_mode), ("max_steps", profile.max_steps)]
    return [(key, value) for key, value in pairs if value is not None]
