"""``codetether benchmark``: Ralph on the benchmark PRDs per model, scored by hidden acceptance tests."""

import asyncio
from pathlib import Path

import click

from .. import output
from ..context import AppContext

CSV_FIELDS = [
    "model", "tier", "case", "status", "stories_passed", "stories_total", "checks_passed", "checks_total",
    "acceptance", "iterations", "input_tokens", "output_tokens", "cost_usd", "wall_seconds", "error",
]  # fmt: skip


@click.command()
@click.option("--prd-dir", default="benchmarks", show_default=True, type=click.Path(file_okay=False))
@click.option("--model", "-m", "models", multiple=True, help="provider/model to measure (repeat; default: config's).")
@click.option("--tier", type=click.IntRange(1, 3), multiple=True, help="Only these tiers (repeat).")
@click.option("--parallel", type=click.IntRange(1, 32), default=2, show_default=True, help="Stories at once.")
@click.option("--story-timeout", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds.")
@click.option("--max-repairs", type=click.IntRange(0, 20), default=2, show_default=True)
@click.option("--cost-ceiling", type=click.FloatRange(min=0), default=None, help="USD per model; the rest is skipped.")
@click.option(
    "--access-mode",
    type=click.Choice(["approve", "full"]),
    default="full",
    show_default=True,
    help="The story agents work in throwaway copies: 'full' lets them run the tests themselves.",
)
@click.option("--keep", type=click.Path(file_okay=False), default=None, help="Keep the worked copies under this dir.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--output", "-o", "csv_path", type=click.Path(dir_okay=False), default=None, help="Write a CSV.")
@click.pass_context
def benchmark(ctx, prd_dir, models, tier, parallel, story_timeout, max_repairs, cost_ceiling, access_mode, keep,
              as_json, csv_path) -> None:  # fmt: skip
    """Run Ralph on each benchmark PRD's starter repo per model; report passes, checks, tokens, cost, time."""
    import msgspec

    from ...ralph.bench import discover, run_benchmark
    from ...ralph.loop import RalphOptions
    from ...runtime import Runtime

    cases = discover(Path(prd_dir), set(tier) or None)
    loaded = ctx.ensure_object(AppContext).config()
    options = RalphOptions(parallel=parallel, story_timeout=story_timeout, max_repairs=max_repairs,
                           access_mode=access_mode)  # fmt: skip
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)

    async def main():
        async with Runtime(loaded, notice=output.notice) as runtime:
            chosen = list(models) or [runtime.default_model()]
            for model in chosen:
                runtime.model(model)  # an unknown provider fails now, not after the first case
            output.notice(f"benchmark: {len(cases)} case(s) x {len(chosen)} model(s)")
            return await run_benchmark(
                runtime, cases, chosen, options, cost_ceiling=cost_ceiling, keep=Path(keep) if keep else None
            )

    report = asyncio.run(main())
    if csv_path:
        _write_csv(Path(csv_path), report)
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
    else:
        click.echo(render(report))
    if any(r.status == "error" for r in report.results):
        ctx.exit(1)


def _write_csv(path: Path, report) -> None:
    import csv

    import msgspec

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for result in report.results:
            writer.writerow(msgspec.to_builtins(result))


def render(report) -> str:
    lines = ["case results:"]
    for r in report.results:
        if r.status != "done":
            lines.append(f"  {r.model}  tier {r.tier}  {r.case}: {r.status} ({r.error})")
            continue
        lines.append(
            f"  {r.model}  tier {r.tier}  {r.case}: stories {r.stories_passed}/{r.stories_total}, "
            f"checks {r.checks_passed}/{r.checks_total}, acceptance {'pass' if r.acceptance else 'FAIL'}, "
            f"{r.iterations} iter, {r.input_tokens + r.output_tokens} tokens, "
            f"{f'${r.cost_usd:.4f}' if r.cost_usd is not None else '-'}, {r.wall_seconds:.1f}s"
            + (f"  ({r.error})" if r.error else "")
        )
    lines.append("per model and tier:")
    header = ("model", "tier", "cases", "stories", "check rate", "acceptance", "iter", "tokens", "cost", "wall")
    rows = [header]
    for s in report.summaries:
        rows.append((
            s.model, str(s.tier), str(s.cases), f"{s.stories_passed}/{s.stories_total}",
            f"{s.check_pass_rate:.0%}" if s.check_pass_rate is not None else "-",
            f"{s.acceptance_passed}/{s.cases}", str(s.iterations), str(s.tokens),
            f"${s.cost_usd:.4f}" if s.cost_usd is not None else "-", f"{s.wall_seconds:.1f}s",
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)
