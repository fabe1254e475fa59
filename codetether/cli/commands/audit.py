"""``codetether audit``: read and check the tamper-evident audit trail."""

import datetime as dt

import click


def _when(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not an ISO date/time such as 2026-11-29T12:00") from exc


def _line(record) -> str:
    when = dt.datetime.fromtimestamp(record.ts).isoformat(timespec="seconds")
    took = f" {record.duration_ms:.0f}ms" if record.duration_ms else ""
    return f"{record.seq:>7} {when} {record.outcome:<7} {record.actor} {record.action} {record.resource}{took}"


@click.group()
def audit() -> None:
    """Read and verify the audit trail (every tool execution, session and security event)."""


@audit.command()
@click.option("-n", "count", default=20, show_default=True, help="How many of the newest records.")
@click.option("--json", "as_json", is_flag=True)
def tail(count: int, as_json: bool) -> None:
    """The newest records."""
    import msgspec

    from ...security.audit import AuditQuery, query

    records = query(AuditQuery(limit=10**9))[-count:]
    for record in records:
        click.echo(msgspec.json.encode(record).decode() if as_json else _line(record))


@audit.command("query")
@click.option("--actor")
@click.option("--action", help="Prefix, e.g. tool. or tool.bash")
@click.option("--resource", help="Substring of the resource.")
@click.option("--outcome", type=click.Choice(["ok", "error", "denied"]))
@click.option("--since", help="ISO date/time.")
@click.option("--until", help="ISO date/time.")
@click.option("--after", default=0, show_default=True, help="Only records with a larger seq (paging).")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def query_command(actor, action, resource, outcome, since, until, after, limit, as_json) -> None:
    """Records matching every filter given."""
    import msgspec

    from ...security.audit import AuditQuery, query

    q = AuditQuery(
        actor=actor,
        action=action,
        resource=resource,
        outcome=outcome,
        since=_when(since),
        until=_when(until),
        after=after,
        limit=limit,
    )
    for record in query(q):
        click.echo(msgspec.json.encode(record).decode() if as_json else _line(record))


@audit.command()
def verify() -> None:
    """Walk the hash chain and report the first broken link (exit 1 when there is one)."""
    from ...errors import CodetetherError
    from ...security.audit import verify as verify_chain

    result = verify_chain()
    if not result.ok:
        raise CodetetherError(
            f"audit chain broken at {result.file}:{result.line} after {result.records} good records: {result.problem}"
        )
    click.echo(f"audit chain intact: {result.records} records in {result.files} file(s)")
