"""``codetether run "prompt"``: one agent task, streamed."""

import asyncio
import sys
from pathlib import Path

import click

from ...errors import CodetetherError
from .. import output
from ..context import AppContext

EXIT_MAX_STEPS = 3
EXIT_INTERRUPTED = 130


async def _ask_permission(request) -> str:
    prompt = f"Allow {request.tool}: {request.subject}? [y]es / [n]o / [a]lways: "
    answer = await asyncio.get_running_loop().run_in_executor(None, lambda: click.prompt(prompt, default="n", err=True))
    return {"y": "yes", "yes": "yes", "a": "always", "always": "always"}.get(answer.strip().lower(), "no")


async def _ask_question(question: str, options: list[str]) -> str:
    choices = f" ({' / '.join(options)})" if options else ""
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: click.prompt(f"{question}{choices}", err=True)
    )


@click.command()
@click.argument("prompt", nargs=-1, required=True)
@click.option("--model", "-m", default=None, help="provider/model, e.g. anthropic/claude-sonnet-4-20250514.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True)
@click.option("-f", "--file", "files", multiple=True, help="Attach a file (text or image); repeatable.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Most model turns (default 50).")
@click.option("--no-tools", is_flag=True, help="Plain chat: the model gets no tools.")
@click.option("--access-mode", type=click.Choice(["ask", "approve", "full"]), default=None)
@click.option("--yolo", is_flag=True, help="Same as --access-mode full.")
@click.option("-c", "--continue", "continue_latest", is_flag=True, help="Continue the latest session here.")
@click.option("--session", "session_id", default=None, help="Continue the session with this id.")
@click.pass_context
def run(ctx, prompt, model, fmt, files, max_steps, no_tools, access_mode, yolo, continue_latest, session_id) -> None:
    """Run the agent on PROMPT in the current directory."""
    from ...agent.run import RunOptions, run_task
    from ...providers.http import close_shared_session
    from ..render import JsonLinesRenderer, JsonRenderer, TextRenderer

    loaded = ctx.ensure_object(AppContext).config()
    renderer = {"text": TextRenderer, "json": JsonRenderer, "jsonl": JsonLinesRenderer}[fmt]()
    interactive = fmt == "text" and sys.stdin.isatty() and sys.stderr.isatty()
    options = RunOptions(
        prompt=" ".join(prompt),
        cwd=Path.cwd(),
        model=model,
        files=list(files),
        max_steps=max_steps,
        no_tools=no_tools,
        access_mode="full" if yolo else access_mode,
        continue_latest=continue_latest,
        session_id=session_id,
    )

    async def main():
        try:
            return await run_task(
                options,
                loaded,
                emit=renderer,
                notice=output.notice,
                ask=_ask_permission if interactive else None,
                question=_ask_question if interactive else None,
            )
        finally:
            await close_shared_session()

    finished = asyncio.run(main())
    if finished.status == "max_steps":
        raise CodetetherError(
            f"stopped after {finished.steps} steps without a final answer", "raise --max-steps or continue with -c"
        ).with_exit(EXIT_MAX_STEPS)
    if finished.status == "interrupted":
        output.notice('interrupted; continue with `codetether run -c "..."`')
        ctx.exit(EXIT_INTERRUPTED)
