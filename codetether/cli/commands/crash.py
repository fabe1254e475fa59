"""``codetether crash``: the redacted crash reports kept when ``telemetry.crash_reporting`` is on."""

from pathlib import Path

import click

from ...errors import UsageError
from ...telemetry.crash import all_reports, reports_dir


@click.group()
def crash() -> None:
    """List, show and delete crash reports (nothing is ever uploaded)."""


@crash.command("list")
def list_command() -> None:
    """List saved reports."""
    reports = all_reports()
    if not reports:
        click.echo(f"no crash reports in {reports_dir()}")
    for path in reports:
        click.echo(str(path))


def _pick(name: str) -> Path:
    for path in all_reports():
        if name in (path.name, str(path), path.stem):
            return path
    raise UsageError(f"no crash report named {name!r}", "see `codetether crash list`")


@crash.command()
@click.argument("name")
def show(name: str) -> None:
    """Print one report (NAME as shown by `crash list`)."""
    click.echo(_pick(name).read_text("utf-8"))


@crash.command()
@click.argument("name", required=False)
@click.option("--all", "everything", is_flag=True, help="Delete every report.")
def delete(name: str | None, everything: bool) -> None:
    """Delete one report, or all of them (the default when there is exactly one)."""
    reports = all_reports()
    if name:
        targets = [_pick(name)]
    elif everything or len(reports) <= 1:
        targets = reports
    else:
        raise UsageError(f"{len(reports)} reports exist", "name one (see `codetether crash list`) or pass --all")
    for path in targets:
        path.unlink(missing_ok=True)
    click.echo(f"deleted {len(targets)} crash report(s)")


@crash.command("raise", hidden=True)
def raise_command() -> None:
    """Fail on purpose with an internal error, to check that crash reporting works end to end."""
    raise RuntimeError("deliberate internal error from `codetether crash raise`")
