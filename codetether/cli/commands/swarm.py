"""``codetether swarm "task"``: plan, run sub-agents in parallel, merge, report."""

import asyncio
import sys
from pathlib import Path

import click

from .. import output
from ..context import AppContext


@click.command()
@click.argument("task", nargs=-1, required=True)
@click.option(
    "--strategy",
    type=click.Choice(["auto", "domain", "data", "stage", "none"]),
    default="auto",
    show_default=True,
    help="How to split the task (none: one sub-agent).",
)
@click.option(
    "--max-subagents",
    type=click.IntRange(1, 100),
    default=4,
    show_default=True,
    help="Most subtasks in the plan and most running at once.",
)
@click.option("--max-steps", type=click.IntRange(1), default=30, show_default=True, help="Steps per sub-agent.")
@click.option("--timeout", type=click.FloatRange(min=1), default=600, show_default=True, help="Seconds per sub-agent.")
@click.option("--model", "-m", default=None, help="provider/model for the planner and every sub-agent.")
@click.option(
    "--access-mode",
    type=click.Choice(["ask", "approve", "full"]),
    default="approve",
    show_default=True,
    help="Sub-agents cannot ask: 'ask' denies edits, 'approve' allows edits but no shell, 'full' allows both.",
)
@click.option(
    "--execution-mode",
    type=click.Choice(["local", "k8s"]),
    default="local",
    show_default=True,
    help="local: sub-agents in this process (git worktrees); k8s: each sub-agent in its own Pod (answers only).",
)
@click.option("--yolo", is_flag=True, help="Same as --access-mode full.")
@click.option("--json", "as_json", is_flag=True, help="Print the final report as JSON.")
@click.pass_context
def swarm(
    ctx, task, strategy, max_subagents, max_steps, timeout, model, access_mode, execution_mode, yolo, as_json
) -> None:
    """Split TASK into subtasks and run them with parallel sub-agents."""
    import msgspec

    from ...bus import Follower
    from ...runtime import Runtime
    from ...swarm.orchestrator import Swarm, SwarmOptions
    from ..swarm_view import SwarmView, render_report

    loaded = ctx.ensure_object(AppContext).config()
    options = SwarmOptions(
        task=" ".join(task),
        strategy=strategy,
        max_subagents=max_subagents,
        max_steps=max_steps,
        timeout=timeout,
        access_mode="full" if yolo else access_mode,
        execution_mode=execution_mode,
    )
    pods = _pods(loaded) if execution_mode == "k8s" else None

    async def main():
        async with Runtime(loaded, notice=output.notice) as runtime:
            runner = Swarm(runtime, options, cwd=Path.cwd(), model=model, pods=pods)
            view = SwarmView(tty=sys.stderr.isatty() and not as_json)
            async with Follower(runtime.bus, f"{runner.topic}.#", view.handle):
                return await runner.run()

    report = asyncio.run(main())
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
    else:
        click.echo(render_report(report))
    if report.status == "failed":
        ctx.exit(1)
    if report.status == "partial":
        ctx.exit(4)


def _pods(loaded):
    """The cluster sub-agent pods run in, or a one-line error saying why there is none."""
    import os

    from ...errors import UsageError
    from ...k8s.connect import connect
    from ...k8s.pods import SubagentPods
    from ...k8s.settings import K8sSettings

    connection = connect(os.environ)
    if connection.client is None:
        raise UsageError(f"--execution-mode k8s: {connection.reason}", "run where a cluster is reachable, or use local")
    return SubagentPods(K8sSettings.resolve(loaded.config.k8s, os.environ), connection)
