"""``codetether sessions``: list, show, export and delete saved sessions."""

import click

from ...errors import UsageError


@click.group()
def sessions() -> None:
    """List, show, export and delete saved sessions."""


@sessions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "everywhere", is_flag=True, help="Sessions of every directory, not just this one.")
def list_command(as_json: bool, everywhere: bool) -> None:
    """Sessions, newest first, with their size, tokens and cost."""
    from pathlib import Path

    import msgspec

    from ...agent.session import FileSession, all_sessions

    here = str(Path.cwd())
    rows = [FileSession.load(p).summary() for p in all_sessions()]
    rows = [r for r in rows if everywhere or r.cwd == here]
    if as_json:
        click.echo(msgspec.json.encode(rows).decode())
        return
    if not rows:
        click.echo("no sessions here yet" + ("" if everywhere else " (use --all for every directory)"))
    for r in rows:
        cost = f"${r.usage.cost_usd:.4f}" if r.usage.cost_usd else "-"
        tokens = r.usage.input_tokens + r.usage.output_tokens
        click.echo(f"{r.id}  {r.created[:19]}  {r.messages:>4} msgs  {tokens:>8} tok  {cost:>9}  {r.title}")


@sessions.command()
@click.argument("session_id")
def show(session_id: str) -> None:
    """Print a session as a readable transcript."""
    from ...agent.session import find_session
    from ...agent.transcript import render_markdown

    session = find_session(session_id)
    click.echo(f"# {session.meta.title or session.id}\n\n{session.meta.model} in {session.meta.cwd}\n")
    click.echo(render_markdown(session.messages))


@sessions.command()
@click.argument("session_id")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None, help="File to write.")
def export(session_id: str, fmt: str, output: str | None) -> None:
    """Export a session (JSON keeps everything; markdown is for reading)."""
    import msgspec

    from ...agent.session import find_session
    from ...agent.transcript import render_markdown

    session = find_session(session_id)
    if fmt == "json":
        document = {"session": session.summary(), "messages": session.messages}
        text = msgspec.json.format(msgspec.json.encode(document), indent=2).decode()
    else:
        text = render_markdown(session.messages, include_system=True)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@sessions.command()
@click.argument("session_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Delete every session of this directory.")
def delete(session_ids: tuple[str, ...], everything: bool) -> None:
    """Delete sessions by id."""
    from pathlib import Path

    from ...agent.session import FileSession, all_sessions, find_session

    if everything:
        here = str(Path.cwd())
        targets = [FileSession.load(p) for p in all_sessions()]
        targets = [s for s in targets if s.meta.cwd == here]
    elif session_ids:
        targets = [find_session(i) for i in session_ids]
    else:
        raise UsageError("name the sessions to delete", "see `codetether sessions list`, or pass --all")
    for session in targets:
        session.path.unlink(missing_ok=True)
    click.echo(f"deleted {len(targets)} session{'s' if len(targets) != 1 else ''}")
