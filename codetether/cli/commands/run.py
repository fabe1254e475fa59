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
    if request.diff:  # a protected file (.git/, CodeTether's config): the user sees what would change
        click.echo(request.diff, err=True)
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
@click.option("--agent", "agent", default=None, metavar="NAME", help="Run as this agent (build, plan, explore, yours).")
@click.pass_context
def run(
    ctx, prompt, model, fmt, files, max_steps, no_tools, access_mode, yolo, continue_latest, session_id, agent
) -> None:
    """Run the agent on PROMPT in the current directory."""
    import msgspec

    from ...agent.attachments import user_message
    from ...agent.loop import MAX_CONTINUATIONS
    from ...bus import Follower
    from ...runtime import AgentSpec, Runtime
    from ..interrupt import sigint_cancels_current_task
    from ..render import JsonLinesRenderer, JsonRenderer, TextRenderer

    loaded = ctx.ensure_object(AppContext).config()
    renderer = {"text": TextRenderer, "json": JsonRenderer, "jsonl": JsonLinesRenderer}[fmt]()
    interactive = fmt == "text" and sys.stdin.isatty() and sys.stderr.isatty()
    cwd = Path.cwd()
    base = AgentSpec(workspace=str(cwd), session=session_id or ("latest" if continue_latest else "new"))
    # What the command line says wins over the agent's own settings.
    flags = {"model": model, "access_mode": "full" if yolo else access_mode, "max_steps": max_steps}
    flags = {key: value for key, value in flags.items() if value is not None}
    if no_tools:
        flags["tools"] = "none"
    message = user_message(" ".join(prompt), list(files), cwd)

    def show(envelope, topic: str) -> None:
        if envelope.topic == topic:
            renderer(envelope.message)
        else:
            renderer.sub_agent(envelope.message)

    async def main():
        with sigint_cancels_current_task():
            return await _main()

    async def _main():
        async with Runtime(loaded, notice=output.notice) as runtime:
            spec = msgspec.structs.replace(runtime.spec_for_agent(agent, base) if agent else base, **flags)
            follower: Follower | None = None

            async def ask(request):
                if follower is not None:
                    follower.drain()  # the tool line first, then the question
                return await _ask_permission(request)

            run = runtime.agent(spec, ask=ask if interactive else None, question=_ask_question if interactive else None)
            if fmt == "text":  # people also see what `task` sub-agents do; scripts get the run's own events
                follower = Follower(runtime.bus, f"{run.topic}.#", lambda envelope: show(envelope, run.topic))
            else:
                follower = Follower(runtime.bus, run.topic, lambda envelope: renderer(envelope.message))
            async with follower:
                return await run.run(message)

    finished = asyncio.run(main())
    if finished.status == "max_steps":
        raise CodetetherError(
            f"stopped after {finished.steps} steps without a final answer", "raise --max-steps or continue with -c"
        ).with_exit(EXIT_MAX_STEPS)
    if finished.status == "max_tokens":
        raise CodetetherError(
            f"the answer was still cut off at the model's output limit after {MAX_CONTINUATIONS} continuations; "
            "the partial answer is kept in the session",
            'continue it with `codetether run -c "go on"`, or use a model with a larger output limit',
        ).with_exit(EXIT_MAX_STEPS)
    if finished.status == "interrupted":
        output.notice('interrupted; continue with `codetether run -c "..."`')
        ctx.exit(EXIT_INTERRUPTED)
