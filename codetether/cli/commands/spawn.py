"""``codetether spawn``: a standalone A2A peer that finds other peers and can hand them tasks."""

import os
import sys
from pathlib import Path

import click

from ...errors import UsageError
from .. import output
from ..context import AppContext
from ..serving import auth_from_environment, run_async, start_peer, until_stopped


@click.command()
@click.option("--name", required=True, help="This peer's name (its agent card and its bus id).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Listen address.")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=0, show_default=True, help="0: a free port.")
@click.option("--peer", "peers", multiple=True, help="Another peer's URL (repeat, or comma-separate).")
@click.option("--model", "-m", default=None, help="provider/model this peer's agent uses.")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory the agent works in (default: the current one).",
)
@click.option("--executor", "executor_spec", default=None, metavar="MODULE:ATTR", help="Load another executor.")
@click.option("--json", "as_json", is_flag=True, help="Print the peer's URL as one JSON line on stdout.")
@click.pass_context
def spawn(ctx, name, host, port, peers, model, workspace, executor_spec, as_json) -> None:
    """Serve an agent as an A2A peer (HTTP only) and keep discovering the peers given by --peer and
    CODETETHER_A2A_PEERS; its agent lists them with a2a_peers and sends them tasks with a2a_send."""
    import msgspec

    from ...bus import AgentBus
    from ...peers.directory import PeerDirectory, seed_urls
    from ...server.peer import SERVER_BUS_CAPACITY

    if not name.strip() or len(name) > 64:
        raise UsageError(f"--name {name!r} must be 1 to 64 characters")
    auth = auth_from_environment()
    loaded = ctx.ensure_object(AppContext).config()
    settings = msgspec.structs.replace(loaded.config.a2a, host=host, port=port, name=name)
    bus = AgentBus(capacity=SERVER_BUS_CAPACITY)
    urls = seed_urls(peers, os.environ)
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"peer {url!r} is not an http(s) URL", "e.g. --peer http://127.0.0.1:4100")
    directory = PeerDirectory(urls, bus, notice=output.notice)
    if executor_spec:
        from ...a2a.domain.executor import load_executor

        executor = load_executor(executor_spec)
    else:
        from ...a2a.server.agent_executor import AgentExecutor

        executor = AgentExecutor(loaded, (workspace or Path.cwd()).resolve(), model=model, bus=bus, peers=directory)
    run_async(_spawn(settings, executor, auth, bus, directory, as_json))


async def _spawn(settings, executor, auth, bus, directory, as_json) -> None:
    import msgspec

    from ...a2a.domain.store import SQLiteTaskStore
    from ...bus.agent_bus import segment
    from ...bus.messages import AgentReady, AgentShutdown
    from ...paths import data_dir
    from ...server.peer import lock_data_dir

    # Each spawned peer keeps its own tasks: several may run from one data dir.
    directory_path = data_dir() / "peers" / settings.name.replace("/", "_")
    lock = lock_data_dir(directory_path)
    store = SQLiteTaskStore(directory_path / "tasks.sqlite3")
    try:
        peer = await start_peer(settings, executor, auth, store=store, bus=bus, grpc=False)
    except UsageError:
        lock.close()
        raise
    url = peer.addresses.http_url
    directory.peers.pop(url, None)  # never our own address
    card = {"name": settings.name, "url": url, "description": "a codetether spawn peer"}
    topic = f"agent.{segment(settings.name)}.events"
    bus.publish(topic, AgentReady(agent_id=settings.name, card=card), sender=settings.name)
    directory.start()
    if as_json:
        sys.stdout.write(msgspec.json.encode({"url": url, "name": settings.name}).decode() + "\n")
        sys.stdout.flush()
    output.notice(f"peer {settings.name} on {url}; peers: {', '.join(directory.peers) or 'none yet'}. Ctrl-C stops.")
    try:
        await until_stopped()
    finally:
        bus.publish(topic, AgentShutdown(agent_id=settings.name, reason="stopped"), sender=settings.name)
        await directory.close()
        await peer.stop()
        lock.close()
