"""`codetether serve`: one A2A peer on HTTP (JSON-RPC, REST, agent card, bus, audit) and gRPC at once.

Everything shares one ``RequestHandler`` and so one task store: a task sent over gRPC can be read
over JSON-RPC. This module wires the pieces and owns their start and orderly stop; the logic lives
in ``codetether.a2a``.
"""

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from aiohttp import web

from ..a2a.domain.executor import Executor
from ..a2a.domain.store import SQLiteTaskStore, TaskStore
from ..a2a.server.card import build_card, check_public_url, served_interfaces, tool_skills
from ..a2a.server.handler import RequestHandler
from ..a2a.server.push import PushNotifier, PushSettings
from ..bus import AgentBus
from ..config.schema import A2ASection, WorkerSection
from ..errors import UsageError
from ..paths import create_private_file, data_dir, ensure_private_dir
from ..security.audit import AuditLog
from ..security.auth import TokenAuth
from ..security.principal import ChainAuthenticator, IssuedTokenAuthenticator, as_authenticator
from ..worker.queue import QueueSettings, WorkQueue
from ..worker.store import SQLiteQueueStore
from . import card_routes, jsonrpc, rest, rest_v03, worker_routes
from .app import AUDIT_WRITER_KEY, build_app
from .header_deadline import HeaderDeadlineSite, runner_options

if TYPE_CHECKING:
    from ..a2a.server.replicas import ReplicaHub
    from .ops import OpsServices

log = logging.getLogger(__name__)

# The server's own bus carries task and artifact updates for observers (GET /v1/bus/stream): 16 k
# envelopes is seconds of backlog at full load for a slow reader (which is then told what it missed),
# at a quarter of the default ring's resident memory.
SERVER_BUS_CAPACITY = 16384


class PeerAddresses(msgspec.Struct, kw_only=True):
    http_url: str
    grpc_address: str | None


class Peer:
    """A running A2A peer; ``await Peer.start(...)``, then ``await peer.stop()``."""

    def __init__(self) -> None:
        self.handler: RequestHandler
        self.addresses: PeerAddresses
        self._runner: web.AppRunner | None = None
        self._grpc = None
        self._lock = None
        self._ops: OpsServices | None = None
        self.queue: WorkQueue

    @classmethod
    async def start(
        cls,
        settings: A2ASection,
        executor: Executor,
        auth: TokenAuth,
        *,
        store: TaskStore | None = None,
        audit: AuditLog | None = None,
        bus: AgentBus | None = None,
        grpc: bool = True,
        ops: "OpsServices | None" = None,
        queue: WorkQueue | None = None,
        replicas: "ReplicaHub | None" = None,
    ) -> "Peer":
        """``queue``: the worker queue (``serve --queue-only`` makes it first, for its executor); by
        default one next to the task store. Its workers' tokens authenticate beside ``auth`` (the admin)."""
        check_public_url(settings.public_url)  # before anything listens
        peer = cls()
        audit = audit or AuditLog()
        bus = bus or AgentBus(capacity=SERVER_BUS_CAPACITY)
        if store is None:
            peer._lock = lock_data_dir(data_dir() / "a2a")
            store = SQLiteTaskStore(data_dir() / "a2a" / "tasks.sqlite3")
            queue = queue or open_queue(data_dir() / "a2a" / "queue.sqlite3", WorkerSection())
        queue = queue or open_queue(":memory:", WorkerSection())
        queue.start()
        peer.queue = queue
        authenticator = ChainAuthenticator([as_authenticator(auth), IssuedTokenAuthenticator(queue.principal_for)])
        push = None
        if settings.push_notifications:
            push = PushNotifier(
                store, PushSettings(allow_private=settings.allow_private_push_urls, attempts=settings.push_attempts)
            )
        handler = RequestHandler(
            executor, store, push=push, bus=bus, agent_id=f"a2a:{settings.name}", replicas=replicas
        )
        recovered = handler.recover()
        if recovered:
            log.warning("%d task(s) were running when the server last stopped; marked failed", recovered)
        peer.handler = handler
        if replicas is not None:  # joins the others: heartbeats, their cancels, and failing dead ones' tasks
            await replicas.start(handler.cancel_here, handler.fail_orphan, getattr(store, "flush", None))

        app = build_app(bus, authenticator, audit, client_max_size=settings.max_body_bytes)
        jsonrpc.add_routes(app, handler, settings.max_body_bytes)
        rest.add_routes(app)
        rest_v03.add_routes(app)
        card_routes.add_routes(app, lambda: handler.card, settings.card_max_age)
        worker_routes.add_routes(app, queue)
        if ops is not None:
            ops.mount(app)
            peer._ops = ops
        runner = web.AppRunner(app, access_log=None, handle_signals=False, **runner_options(settings.header_timeout))
        await runner.setup()
        site = HeaderDeadlineSite(runner, settings.host, settings.port, header_timeout=settings.header_timeout)
        await site.start()
        peer._runner = runner
        port = runner.addresses[0][1]

        grpc_address = None
        if grpc:
            from .grpc import GrpcServer

            peer._grpc = await GrpcServer.start(handler, authenticator, app[AUDIT_WRITER_KEY], settings)
            grpc_address = f"{_host_for_url(settings.host)}:{peer._grpc.port}"
        served = served_interfaces(f"http://{_host_for_url(settings.host)}:{port}", grpc_address, settings.public_url)
        peer.addresses = PeerAddresses(http_url=served.http_url, grpc_address=grpc_address)

        if ops is not None:
            ops.start()
        handler.card = build_card(settings.name, served)
        handler.extended_card = lambda: build_card(settings.name, served, extended_skills=tool_skills())
        return peer

    async def stop(self) -> None:
        """Stop taking requests, cancel running tasks (they end ``canceled``), close the store."""
        if self._runner is not None:
            for site in list(self._runner.sites):  # no new calls from here on; open streams still end
                await site.stop()
        if self._grpc is not None:
            await self._grpc.stop()
        if self._ops is not None:
            await self._ops.stop()
        await self.queue.close()  # ends the workers' task streams
        await self.handler.close()
        if self.handler.replicas is not None:
            await self.handler.replicas.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        self.handler.store.close()
        self.queue.store.close()
        if self._lock is not None:
            self._lock.close()


def open_queue(path: Path | str, settings: WorkerSection) -> WorkQueue:
    """The worker queue on a SQLite file (``:memory:`` for a server whose tasks are not kept either)."""
    return WorkQueue(
        SQLiteQueueStore(path),
        QueueSettings(
            lease_seconds=settings.lease_seconds,
            heartbeat_seconds=settings.heartbeat_seconds,
            replay_events=settings.replay_events,
            forget_after=settings.forget_after_seconds,
        ),
    )


def lock_data_dir(directory: Path):
    """One server per task store: a second one would mark the first one's running tasks failed."""
    import fcntl

    ensure_private_dir(directory)
    handle = open(create_private_file(directory / "serve.lock"), "w")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UsageError(
            f"another `codetether serve` is using {directory}",
            "stop it, or give this one its own data dir (XDG_DATA_HOME)",
        ) from None
    return handle


def _host_for_url(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):
        import socket

        return socket.gethostname()
    return f"[{host}]" if ":" in host else host
