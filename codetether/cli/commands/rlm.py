"""``codetether rlm "question" -f FILE``: answer a question about content too large for a context window."""

import asyncio
import sys
from pathlib import Path

import click

from .. import output
from ..context import AppContext

CONTENT_TYPES = ["auto", "code", "logs", "conversation", "documents"]


@click.command()
@click.argument("question", nargs=-1, required=True)
@click.option("-f", "--file", "files", multiple=True, metavar="FILE", help="A file to analyse; repeatable.")
@click.option("--content", default=None, metavar="TEXT", help="The content itself; - reads it from stdin.")
@click.option("--content-type", type=click.Choice(CONTENT_TYPES), default="auto", show_default=True)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=100),
    default=None,
    help="Tokens of content the model may read in all (default 12000).",
)
@click.option("--max-iterations", type=click.IntRange(min=1), default=None, help="Most model turns (default 12).")
@click.option("--model", "-m", default=None, help="provider/model, e.g. anthropic/claude-sonnet-4-20250514.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@click.pass_context
def rlm(ctx, question, files, content, content_type, max_tokens, max_iterations, model, as_json) -> None:
    """Answer QUESTION about files or text far larger than the model's context.

    The content stays out of the model's context: the model searches, slices and sub-queries it
    with the rlm_* tools, then answers with the line ranges that support the answer.
    """
    import msgspec

    from codetether.rlm import analyze, format_answer, load_content
    from codetether.runtime import Runtime
    from codetether.tools.rlm_store import RlmLimits

    cwd = Path.cwd()
    text, label = load_content(list(files), content, cwd, sys.stdin.read)
    loaded = ctx.ensure_object(AppContext).config()
    limits = RlmLimits()
    changes = {"context_tokens": max_tokens, "max_iterations": max_iterations}
    limits = msgspec.structs.replace(limits, **{k: v for k, v in changes.items() if v is not None})

    async def main():
        async with Runtime(loaded, notice=output.notice) as runtime:
            return await analyze(
                runtime,
                " ".join(question),
                text,
                cwd=cwd,
                content_type=content_type,
                model=model,
                limits=limits,
                label=label,
            )

    result = asyncio.run(main())
    if as_json:
        click.echo(msgspec.json.encode(result).decode())
        return
    click.echo(format_answer(result))
    stats = result.stats
    output.notice(
        f"{result.content_type}; {result.iterations} iterations, {result.sub_queries} sub-queries, "
        f"{stats.input_tokens} input / {stats.output_tokens} output tokens, {stats.elapsed_ms} ms"
    )
