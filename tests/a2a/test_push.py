"""Push notifications to a real webhook receiver on 127.0.0.1: order, headers, retries, SSRF refusal, 0.3 shape."""

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.a2a.server.handler import RequestHandler
from codetether.a2a.server.push import PushNotifier, PushSettings
from codetether.bus import AgentBus
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server import jsonrpc, rest
from codetether.server.app import build_app
from codetether.server.peer import Peer

from .drivers import TOKEN, CallError, Event, GrpcDriver, JsonRpcDriver, Push, RestDriver
from .executors import CHUNKS, ScriptedExecutor


class Receiver:
    """A webhook: records each delivery; the first ``fail_first`` attempts get ``fail_status``."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.attempts = 0
        self.deliveries: list[tuple[dict[str, str], Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.attempts += 1
        if self.attempts <= self.fail_first:
            return web.Response(status=self.fail_status)
        self.deliveries.append((dict(request.headers), json.loads(body)))
        return web.Response(status=204)

    async def __aenter__(self) -> "Receiver":
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    async def wait_for(self, done, limit: float = 10.0) -> list[tuple[dict[str, str], Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not done(self.deliveries):
            assert loop.time() < deadline, f"webhook got only {self.deliveries}"
            await asyncio.sleep(0.01)
        return self.deliveries


def _last_is(state: str):
    def done(deliveries) -> bool:
        return bool(deliveries) and Event.parse(deliveries[-1][1]).state == state

    return done


async def start_peer(tmp_path, executor, **settings: Any) -> Peer:
    return await Peer.start(
        A2ASection(port=0, grpc_port=0, **settings),
        executor,
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp_path / "tasks.sqlite3"),
        audit=AuditLog(tmp_path / "audit"),
    )


async def start_http_server(tmp_path, executor, push: PushSettings) -> tuple[str, web.AppRunner, RequestHandler]:
    """The peer's HTTP side, wired as Peer.start does, with push settings a test chooses (small backoff)."""
    store = SQLiteTaskStore(tmp_path / "tasks.sqlite3")
    handler = RequestHandler(executor, store, push=PushNotifier(store, push))
    app = build_app(AgentBus(), TokenAuth(TOKEN), AuditLog(tmp_path / "audit"))
    jsonrpc.add_routes(app, handler, 1 << 20)
    rest.add_routes(app)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return f"http://127.0.0.1:{runner.addresses[0][1]}", runner, handler


def kinds(deliveries) -> list[tuple[str, str]]:
    events = [Event.parse(body) for _, body in deliveries]
    return [(e.kind, e.state or e.text) for e in events]


CHUNK_UPDATES = [
    ("status", "working"),
    ("artifact", CHUNKS[0]),
    ("artifact", CHUNKS[1]),
    ("artifact", CHUNKS[2]),
    ("status", "working"),
    ("status", "completed"),
]


async def test_every_update_is_posted_in_order_with_the_config_s_headers(tmp_path):
    peer = await start_peer(tmp_path, ScriptedExecutor(), allow_private_push_urls=True)
    try:
        async with aiohttp.ClientSession() as session, Receiver() as hook:
            client = JsonRpcDriver("1.0", peer.addresses.http_url, session)
            push = Push(url=hook.url, token="notify-token-1", auth="hook-secret")
            task = await client.send("chunks", push=push)
            assert task.state == "completed"
            deliveries = await hook.wait_for(_last_is("completed"))
        assert kinds(deliveries) == CHUNK_UPDATES
        for headers, body in deliveries:
            assert headers["X-A2A-Notification-Token"] == "notify-token-1"
            assert headers["Authorization"] == "Bearer hook-secret"
            assert headers["Content-Type"] == "application/a2a+json"
            assert Event.parse(body).task_id == task.id
    finally:
        await peer.stop()


async def test_config_added_to_a_running_task_gets_the_rest(tmp_path):
    executor = ScriptedExecutor()
    peer = await start_peer(tmp_path, executor, allow_private_push_urls=True)
    grpc_client = GrpcDriver("1.0", peer.addresses.grpc_address)
    try:
        async with aiohttp.ClientSession() as session, Receiver() as hook:
            rest_client = RestDriver(peer.addresses.http_url, session)
            task = await rest_client.send("slow", blocking=False)
            await executor.slow.wait_started(task.id)
            config = await grpc_client.push_create(task.id, Push(url=hook.url, token="late-token"))
            assert config.url == hook.url
            executor.slow.release(task.id)
            deliveries = await hook.wait_for(_last_is("completed"))
        assert kinds(deliveries) == [("artifact", "slow done"), ("status", "completed")]
        assert {headers["X-A2A-Notification-Token"] for headers, _ in deliveries} == {"late-token"}
        assert not any("Authorization" in headers for headers, _ in deliveries)  # no authentication configured
    finally:
        await grpc_client.close()
        await peer.stop()


async def test_a_failing_receiver_still_gets_each_update_after_retries(tmp_path):
    settings = PushSettings(allow_private=True, attempts=4, backoff_seconds=0.01, max_backoff_seconds=0.02)
    url, runner, handler = await start_http_server(tmp_path, ScriptedExecutor(), settings)
    try:
        async with aiohttp.ClientSession() as session, Receiver(fail_first=2) as hook:
            task = await JsonRpcDriver("1.0", url, session).send("chunks", push=Push(url=hook.url, token="t"))
            deliveries = await hook.wait_for(_last_is("completed"))
            await handler.push.drain()
        assert kinds(deliveries) == CHUNK_UPDATES  # nothing lost, nothing reordered
        assert hook.attempts == len(CHUNK_UPDATES) + 2
        assert {Event.parse(body).task_id for _, body in deliveries} == {task.id}
    finally:
        await handler.close()
        await runner.cleanup()


async def test_a_refusing_receiver_is_not_retried(tmp_path):
    settings = PushSettings(allow_private=True, attempts=4, backoff_seconds=0.01, max_backoff_seconds=0.02)
    url, runner, handler = await start_http_server(tmp_path, ScriptedExecutor(), settings)
    try:
        async with aiohttp.ClientSession() as session, Receiver(fail_first=10**6, fail_status=403) as hook:
            await JsonRpcDriver("1.0", url, session).send("chunks", push=Push(url=hook.url))
            await handler.push.drain()
        assert hook.attempts == len(CHUNK_UPDATES)  # one try each: a 403 will not get better
    finally:
        await handler.close()
        await runner.cleanup()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]:{port}/hook",
    ],
)
async def test_private_webhook_urls_are_refused_by_default(tmp_path, url):
    peer = await start_peer(tmp_path, ScriptedExecutor())
    grpc_client = GrpcDriver("1.0", peer.addresses.grpc_address)
    try:
        async with aiohttp.ClientSession() as session, Receiver() as hook:
            url = url.format(port=hook.url.split(":")[2].split("/")[0])
            client = JsonRpcDriver("1.0", peer.addresses.http_url, session)
            task = await client.send("hello")
            for attempt in (
                client.push_create(task.id, Push(url=url)),
                grpc_client.push_create(task.id, Push(url=url)),
                RestDriver(peer.addresses.http_url, session).push_create(task.id, Push(url=url)),
            ):
                with pytest.raises(CallError) as refused:
                    await attempt
                assert refused.value.kind == "InvalidParams"
            message = refused.value.raw["body"]["error"]["message"]
            assert "non-public address" in message and "allow_private_push_urls" in message
            assert await client.push_list(task.id) == []

            before, _, _ = await client.list_tasks(page_size=100)
            with pytest.raises(CallError) as refused_send:
                await client.send("chunks", push=Push(url=url))
            assert refused_send.value.kind == "InvalidParams"
            after, _, _ = await client.list_tasks(page_size=100)
            assert [t.id for t in after] == [t.id for t in before]  # a refused send leaves no task behind
        assert hook.attempts == 0
    finally:
        await grpc_client.close()
        await peer.stop()


async def test_non_http_webhook_urls_are_refused_even_when_private_ones_are_allowed(tmp_path):
    peer = await start_peer(tmp_path, ScriptedExecutor(), allow_private_push_urls=True)
    try:
        async with aiohttp.ClientSession() as session:
            client = JsonRpcDriver("1.0", peer.addresses.http_url, session)
            task = await client.send("hello")
            for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "http:///nohost", "not a url"):
                with pytest.raises(CallError) as refused:
                    await client.push_create(task.id, Push(url=url))
                assert refused.value.kind == "InvalidParams", url
    finally:
        await peer.stop()


async def test_a_0_3_registration_receives_the_task_in_0_3_json(tmp_path):
    peer = await start_peer(tmp_path, ScriptedExecutor(), allow_private_push_urls=True)
    try:
        async with aiohttp.ClientSession() as session, Receiver() as hook:
            client = JsonRpcDriver("0.3", peer.addresses.http_url, session)
            push = Push(url=hook.url, token="old-token", id=f"cfg-{uuid.uuid4().hex[:6]}", auth="old-secret")
            task = await client.send("chunks", push=push)
            assert task.state == "completed"

            def completed(deliveries) -> bool:
                return bool(deliveries) and deliveries[-1][1]["status"]["state"] == "completed"

            deliveries = await hook.wait_for(completed)
        assert len(deliveries) == len(CHUNK_UPDATES)
        for headers, body in deliveries:
            assert headers["Content-Type"] == "application/json"
            assert headers["X-A2A-Notification-Token"] == "old-token"
            assert headers["Authorization"] == "Bearer old-secret"
            assert body["kind"] == "task" and body["id"] == task.id and body["contextId"] == task.context_id
        states = [body["status"]["state"] for _, body in deliveries]
        assert states == ["working", "working", "working", "working", "working", "completed"]
        final = deliveries[-1][1]
        assert final["artifacts"][0]["parts"] == [{"kind": "text", "text": chunk} for chunk in CHUNKS]  # appended
        assert final["history"][0]["kind"] == "message" and final["history"][0]["role"] == "user"
        # the chunks arrive as the task grows: each artifact delivery shows the artifact so far
        texts = ["".join(p["text"] for p in body.get("artifacts", [{}])[0].get("parts", [])) for _, body in deliveries]
        assert texts[1:4] == [CHUNKS[0], CHUNKS[0] + CHUNKS[1], "".join(CHUNKS)]
    finally:
        await peer.stop()
