"""``codetether a2a``: talk to any A2A agent from the shell — read its card, send it a message.

The answer (artifact text, or the agent's final status message) goes to stdout; progress lines go
to stderr, so ``answer=$(codetether a2a send …)`` keeps only the answer. Exit codes: 0 completed,
1 failed, rejected or canceled (and every error), 3 the agent needs input, 4 the token was refused.
"""

import asyncio

import click

from ...errors import CodetetherError, UsageError

EXIT_FAILED = 1
EXIT_NEEDS_INPUT = 3
_TRANSPORTS = click.Choice(["auto", "jsonrpc", "grpc"])
_VERSIONS = click.Choice(["auto", "1.0", "0.3"])


def _state(state) -> str:
    """``TASK_STATE_INPUT_REQUIRED`` → ``input-required``, the way people (and spec 0.3) say it."""
    return state.value.removeprefix("TASK_STATE_").lower().replace("_", "-")


@click.group()
def a2a() -> None:
    """Talk to A2A agents: read an agent card, send a message."""


@a2a.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON.")
def card(url: str, as_json: bool) -> None:
    """Show the agent card at URL (the agent's base URL or its card URL); no token needed."""
    import msgspec

    from ...a2a.client.client import endpoints, fetch_card

    where, agent_card = asyncio.run(fetch_card(url))
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(agent_card), indent=2).decode())
        return
    click.echo(f"{agent_card.name} {agent_card.version}".rstrip())
    if agent_card.description:
        click.echo(f"  {agent_card.description}")
    click.echo(f"card: {where}")
    if agent_card.provider is not None:
        click.echo(f"provider: {agent_card.provider.organization} ({agent_card.provider.url})")
    click.echo("interfaces:")
    for endpoint in endpoints(agent_card):
        click.echo(f"  {endpoint.binding:<10} {endpoint.version:<4} {endpoint.url}")
    caps = agent_card.capabilities
    flags = [
        ("streaming", caps.streaming),
        ("push notifications", caps.push_notifications),
        ("extended card", caps.extended_agent_card or agent_card.supports_authenticated_extended_card),
    ]
    click.echo("capabilities: " + (", ".join(name for name, on in flags if on) or "none"))
    if agent_card.security_schemes:
        click.echo("security: " + ", ".join(sorted(agent_card.security_schemes)))
    click.echo("skills:" if agent_card.skills else "skills: none")
    for skill in agent_card.skills:
        tags = f" [{', '.join(skill.tags)}]" if skill.tags else ""
        click.echo(f"  {skill.id}: {skill.name}{tags}")
        if skill.description:
            click.echo(f"      {skill.description}")


@a2a.command()
@click.argument("url")
@click.argument("message", nargs=-1, required=True)
@click.option("--token", default=None, help="Bearer token (default: CODETETHER_A2A_TOKEN, then CODETETHER_AUTH_TOKEN).")
@click.option("--transport", type=_TRANSPORTS, default="auto", show_default=True, help="Which binding to speak.")
@click.option("--version", "version", type=_VERSIONS, default="auto", show_default=True, help="A2A spec version.")
@click.option("--stream", is_flag=True, help="Show the task's progress as it happens.")
@click.option("--context", "context_id", default=None, help="Continue this conversation (context id).")
@click.option("--task", "task_id", default=None, help="Continue this task (e.g. answer its question).")
@click.option("--no-wait", is_flag=True, help="Return as soon as the agent took the task; print its id.")
@click.option("--json", "as_json", is_flag=True, help="Print the task (or, with --stream, each event) as JSON.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None, help="Seconds to wait for an answer.")
def send(url, message, token, transport, version, stream, context_id, task_id, no_wait, as_json, timeout) -> None:
    """Send MESSAGE to the agent at URL and print its answer."""
    if stream and no_wait:
        raise UsageError("--stream and --no-wait do not go together", "pick one")
    text = " ".join(message)

    async def main():
        from ...a2a.client.client import A2AClient

        client = await A2AClient.connect(url, token=token, transport=transport, version=version, timeout=timeout)
        async with client:
            if stream:
                return await _stream(client, text, context_id, task_id, as_json)
            reply = await client.send(text, context_id=context_id, task_id=task_id, blocking=not no_wait)
            return _show(reply, as_json, no_wait)

    _finish(asyncio.run(main()), url)


def _texts(parts) -> str:
    return "\n".join(part.text for part in parts if part.text)


def _show(reply, as_json: bool, no_wait: bool):
    """Print a send's result; return the task whose state decides the exit code (None: nothing to judge)."""
    import msgspec

    from ...a2a.domain.types import Message

    if as_json:
        click.echo(msgspec.json.encode(reply).decode())
    if isinstance(reply, Message):
        if not as_json:
            click.echo(_texts(reply.parts))
        return None
    if no_wait:
        if not as_json:
            click.echo(reply.id)
            click.echo(f"task {reply.id} is {_state(reply.status.state)}", err=True)
        return None
    if not as_json:
        click.echo(f"task {reply.id}: {_state(reply.status.state)}", err=True)
        answer = "\n".join(filter(None, (_texts(artifact.parts) for artifact in reply.artifacts)))
        if answer:
            click.echo(answer)
        elif _ok(reply.status.state) and reply.status.message is not None:
            click.echo(reply.status.message.text())
    return reply


def _ok(state) -> bool:
    return state.value == "TASK_STATE_COMPLETED"


async def _stream(client, text: str, context_id, task_id, as_json: bool):
    """Print events as they come; return the task they folded into (None for a message-only reply)."""
    import msgspec

    from ...a2a.client.folding import StreamFold

    fold = StreamFold()
    open_line = False
    async for event in client.stream(text, context_id=context_id, task_id=task_id):
        fold.add(event)
        if as_json:
            click.echo(msgspec.json.encode(event).decode())
        elif event.message is not None:
            click.echo(event.message.text())
        elif event.task is not None:
            click.echo(f"task {fold.task.id}: {_state(fold.task.status.state)}", err=True)
        elif event.status_update is not None:
            status = event.status_update.status
            if not (status.state.terminal or status.state.interrupted):
                note = f": {status.message.text()}" if status.message is not None else ""
                click.echo(f"[{_state(status.state)}]{note}", err=True)
        elif event.artifact_update is not None:
            update = event.artifact_update
            ends_line = update.last_chunk or not update.append
            click.echo(_texts(update.artifact.parts), nl=ends_line)
            open_line = not ends_line
        if fold.reply is not None:  # a message-only reply is the whole answer
            break
    if fold.reply is not None:
        return None
    if open_line:
        click.echo()
    last = fold.task
    if not as_json:
        click.echo(f"task {last.id}: {_state(last.status.state)}", err=True)
        if not fold.answered and _ok(last.status.state) and last.status.message is not None:
            click.echo(last.status.message.text())
    return last


def _finish(task, url: str) -> None:
    """Exit as the task ended: failure states raise (one error line, exit 1); a question exits 3."""
    if task is None:
        return
    state = task.status.state
    said = f": {task.status.message.text()}" if task.status.message is not None else ""
    if state.interrupted:
        raise CodetetherError(
            f"task {task.id} is {_state(state)}{said}",
            f"answer with: codetether a2a send {url} --task {task.id} '...'",
        ).with_exit(EXIT_NEEDS_INPUT)
    if state.terminal and not _ok(state):
        raise CodetetherError(f"task {task.id} {_state(state)}{said}").with_exit(EXIT_FAILED)
    if not state.terminal:
        raise CodetetherError(
            f"the stream of task {task.id} ended while it was {_state(state)}",
            f"it may still be running on the agent at {url}",
        ).with_exit(EXIT_FAILED)
