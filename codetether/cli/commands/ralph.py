"""``codetether ralph``: write, check and run PRDs story by story (run, status, validate, create-prd)."""

import asyncio
import sys
from pathlib import Path

import click

from .. import output
from ..context import AppContext


@click.group()
def ralph() -> None:
    """Autonomous PRD-driven development: each user story by a fresh agent, gated by the project's checks."""


@ralph.command("create-prd")
@click.option("--feature", "-f", required=True, help="The feature the PRD describes.")
@click.option("--project-name", required=True, help="The project's name.")
@click.option("--out", "-o", "out", default="prd.json", show_default=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def create_prd(feature: str, project_name: str, out: str, force: bool) -> None:
    """Write a PRD template whose quality checks fit the repository here (pytest/ruff/mypy, npm, cargo, go)."""
    from ...errors import UsageError
    from ...ralph.prd import encode, write_atomic
    from ...ralph.template import template

    path = Path(out)
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", "pass --force to overwrite it, or --out another file")
    prd, found = template(feature, project_name, Path.cwd())
    write_atomic(path.resolve(), encode(prd))
    checks = ", ".join(f"{name}: {command}" for name, command in prd.quality_checks.items())
    click.echo(f"wrote {path}")
    if found:
        click.echo(f"quality checks ({'/'.join(found)}): {checks}")
    else:
        output.warn("no test, lint or build tooling found here: fill in quality_checks before `codetether ralph run`")


@ralph.command()
@click.argument("prd", default="prd.json", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print {valid, problems} as JSON.")
@click.pass_context
def validate(ctx: click.Context, prd: str, as_json: bool) -> None:
    """Check PRD (default prd.json): every schema error by JSON path, unknown dependencies, cycles."""
    import json

    from ...errors import CodetetherError
    from ...ralph.validate import check_text

    path = Path(prd)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodetetherError(f"cannot read {path}: {exc}", "pass the path of a prd.json").with_exit(2) from None
    parsed, problems = check_text(text, path.name)
    if as_json:
        click.echo(json.dumps({"valid": not problems, "problems": problems}))
    elif parsed is not None:
        checks = ", ".join(name for name, _ in parsed.quality_checks.items())
        click.echo(f"{path}: valid ({len(parsed.user_stories)} stories, {parsed.passed} pass; checks: {checks})")
    else:
        for problem in problems:
            click.echo(f"{path}: {problem}" if not problem.startswith(f"{path.name}:") else problem, err=True)
    if problems:
        ctx.exit(2)


@ralph.command()
@click.option("--prd", "-p", default="prd.json", show_default=True, type=click.Path(dir_okay=False))
@click.option(
    "--max-iterations", type=click.IntRange(1), default=10, show_default=True, help="Story attempts in this run."
)
@click.option("--model", "-m", default=None, help="provider/model for every story's agent.")
@click.option("--parallel", type=click.IntRange(1, 32), default=2, show_default=True, help="Stories at once.")
@click.option(
    "--story-timeout", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds per story attempt."
)
@click.option("--max-repairs", type=click.IntRange(0, 20), default=2, show_default=True, help="Rounds per story.")
@click.option("--max-steps", type=click.IntRange(1), default=50, show_default=True, help="Model turns per story.")
@click.option("--no-commit", is_flag=True, help="Leave passed stories' work uncommitted in the working tree.")
@click.option(
    "--progress",
    "progress_file",
    default="",
    type=click.Path(dir_okay=False),
    help="The agents' memory, appended to per story [default: progress.txt beside the PRD].",
)
@click.option(
    "--access-mode",
    type=click.Choice(["ask", "approve", "full"]),
    default="approve",
    show_default=True,
    help="Story agents cannot ask: 'approve' allows edits but no shell, 'full' allows both.",
)
@click.option("--yolo", is_flag=True, help="Same as --access-mode full.")
@click.option("--json", "as_json", is_flag=True, help="Print the final report as JSON.")
@click.pass_context
def run(ctx, prd, max_iterations, model, parallel, story_timeout, max_repairs, max_steps, no_commit, progress_file,
        access_mode, yolo, as_json) -> None:  # fmt: skip
    """Run the PRD's stories until all pass (exit 0), some fail (4) or the PRD is invalid (2)."""
    import msgspec

    from ...ralph.loop import RalphOptions

    options = RalphOptions(
        max_iterations=max_iterations,
        model=model,
        parallel=parallel,
        story_timeout=story_timeout,
        max_repairs=max_repairs,
        max_steps=max_steps,
        commit=not no_commit,
        access_mode="full" if yolo else access_mode,
        progress_file=progress_file,
    )
    report = run_prd(ctx.ensure_object(AppContext), Path(prd), options, live=not as_json)
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
    else:
        from ..ralph_view import render_table

        click.echo(render_table(report))
    ctx.exit(report.exit_code)


def run_prd(app: AppContext, prd: Path, options, *, live: bool):
    """Run Ralph on ``prd`` with the live view on stderr; returns the report (shared with ``benchmark``)."""
    from ...bus import Follower
    from ...ralph.loop import Ralph
    from ...ralph.validate import load
    from ...runtime import Runtime
    from ..ralph_view import RalphView

    load(prd)  # a bad PRD is exit 2 before the config, the provider or git are touched
    loaded = app.config()

    async def main():
        async with Runtime(loaded, notice=output.notice) as runtime:
            runner = Ralph(runtime, prd, options, cwd=Path.cwd())
            view = RalphView(tty=sys.stderr.isatty() and live, out=sys.stderr)
            if not live:
                return await runner.run()
            async with Follower(runtime.bus, f"{runner.topic}.#", view.handle):
                return await runner.run()

    return asyncio.run(main())


@ralph.command()
@click.option("--prd", "-p", default="prd.json", show_default=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(prd: str, as_json: bool) -> None:
    """Show each story of PRD: passes, and the last run's result, iterations, checks, time and tokens."""
    import msgspec

    from ...ralph.status import prd_status, render_status

    current = prd_status(Path(prd))
    click.echo(msgspec.json.encode(current).decode() if as_json else render_status(current))
