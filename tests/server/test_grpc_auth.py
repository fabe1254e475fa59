"""The A2A peer's authentication (security): every gRPC method and every HTTP A2A route refuses callers without
the bearer token and audits the refusal; repeated failures are throttled per client address; the health check
and the agent card are public, and the card is cacheable."""

import asyncio
import time
from email.utils import parsedate_to_datetime

import aiohttp
import grpc
import pytest
from google.protobuf import message_factory

from codetether.a2a import pb
from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog, AuditQuery, query
from codetether.security.audit_writer import AuditWriter
from codetether.security.auth import FailureLimiter, TokenAuth
from codetether.server.grpc import GrpcServer
from codetether.server.peer import Peer
from tests.a2a.executors import ScriptedExecutor

TOKEN = "grpc-auth-test-token-0123456789"
SERVICES = {"lf.a2a.v1.A2AService": pb.v1, "a2a.v1.A2AService": pb.v0_3}


def all_methods() -> list[tuple[str, bool, type]]:
    """(``/service/Method``, server-streaming, request class) for every method of both services."""
    out = []
    for service, module in SERVICES.items():
        for method in module().DESCRIPTOR.services_by_name["A2AService"].methods:
            request_cls = message_factory.GetMessageClass(method.input_type)
            out.append((f"/{service}/{method.name}", method.server_streaming, request_cls))
    return out


async def start_peer(tmp_path, **settings) -> Peer:
    return await Peer.start(
        A2ASection(port=0, grpc_port=0, **settings),
        ScriptedExecutor(),
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp_path / "tasks.sqlite3"),
        audit=AuditLog(tmp_path / "audit"),
    )


async def call(channel: grpc.aio.Channel, path: str, streaming: bool, request_cls, metadata) -> grpc.StatusCode:
    """Call ``path`` with an empty request; the status code it ends with."""
    serializer = request_cls.SerializeToString
    try:
        if streaming:
            stream = channel.unary_stream(path, request_serializer=serializer)(request_cls(), metadata=metadata)
            async for _ in stream:
                pass
        else:
            await channel.unary_unary(path, request_serializer=serializer)(request_cls(), metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def wait_for_records(directory, expected: int, limit: float = 10.0, **filters) -> list:
    deadline = time.monotonic() + limit
    while len(records := query(AuditQuery(limit=10_000, **filters), directory)) < expected:
        assert time.monotonic() < deadline, f"only {len(records)} of {expected} audit records"
        await asyncio.sleep(0.01)
    return records


# -- gRPC ------------------------------------------------------------------------------------------


@pytest.fixture
async def grpc_server(tmp_path):
    """The peer's handler behind a gRPC server whose limiter tolerates this test's many refusals."""
    peer = await start_peer(tmp_path, push_notifications=False)
    audit = AuditLog(tmp_path / "grpc-audit")
    writer = AuditWriter(audit, refusals_in_full=1000)  # every refusal one by one, not summarised
    server = await GrpcServer.start(
        peer.handler, TokenAuth(TOKEN), writer, A2ASection(grpc_port=0), limiter=FailureLimiter(limit=1000)
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    yield channel, audit, writer
    await channel.close()
    await server.stop()
    await writer.close()
    await peer.stop()


async def test_every_grpc_method_refuses_a_missing_or_wrong_token_and_audits_it(grpc_server):
    channel, audit, writer = grpc_server
    methods = all_methods()
    assert len(methods) == 21
    for metadata in ([], [("authorization", "Bearer not-the-token-0123456789")], [("authorization", TOKEN)]):
        for path, streaming, request_cls in methods:
            code = await call(channel, path, streaming, request_cls, [*metadata, ("a2a-version", "1.0")])
            assert code == grpc.StatusCode.UNAUTHENTICATED, (path, metadata)
    await writer.flush()
    denied = await wait_for_records(audit.directory, 3 * len(methods), outcome="denied")
    assert len(denied) == 3 * len(methods)
    assert {record.resource for record in denied} == {path for path, _, _ in methods}
    assert {(record.action, record.detail) for record in denied} == {("rpc.call", "UNAUTHENTICATED")}
    assert all(record.actor.startswith("grpc:ipv4:127.0.0.1") for record in denied)
    assert not query(AuditQuery(outcome="ok"), audit.directory)


async def test_grpc_with_the_token_is_audited_ok(grpc_server):
    channel, audit, writer = grpc_server
    request_cls = message_factory.GetMessageClass(pb.v1().DESCRIPTOR.message_types_by_name["ListTasksRequest"])
    metadata = [("authorization", f"Bearer {TOKEN}")]
    code = await call(channel, "/lf.a2a.v1.A2AService/ListTasks", False, request_cls, metadata)
    assert code == grpc.StatusCode.OK
    await writer.flush()
    (record,) = await wait_for_records(audit.directory, 1, outcome="ok")
    assert record.resource == "/lf.a2a.v1.A2AService/ListTasks" and record.detail == "OK"


async def test_grpc_failures_are_throttled_per_address_but_the_right_token_always_passes(tmp_path):
    peer = await start_peer(tmp_path, push_notifications=False)
    audit = AuditLog(tmp_path / "grpc-audit")
    writer = AuditWriter(audit)
    server = await GrpcServer.start(
        peer.handler, TokenAuth(TOKEN), writer, A2ASection(grpc_port=0), limiter=FailureLimiter(limit=3, block=60)
    )
    path, streaming, request_cls = next(m for m in all_methods() if m[0].endswith("lf.a2a.v1.A2AService/GetTask"))
    listing = next(m for m in all_methods() if m[0].endswith("lf.a2a.v1.A2AService/ListTasks"))
    wrong = [("authorization", "Bearer wrong-token-0123456789")]
    right = [("authorization", f"Bearer {TOKEN}")]
    channels = []
    try:
        first = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        channels.append(first)
        codes = [await call(first, path, streaming, request_cls, wrong) for _ in range(4)]
        assert codes == [grpc.StatusCode.UNAUTHENTICATED] * 3 + [grpc.StatusCode.RESOURCE_EXHAUSTED]
        # A new connection from the same address is the same client: its failures are still refused.
        second = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}", options=[("grpc.use_local_subchannel_pool", 1)])
        channels.append(second)
        assert await call(second, path, streaming, request_cls, wrong) == grpc.StatusCode.RESOURCE_EXHAUSTED
        # The owner shares the address (every local client is 127.0.0.1): the right token is never locked out.
        assert await call(second, listing[0], False, listing[2], right) == grpc.StatusCode.OK
        assert await call(first, listing[0], False, listing[2], right) == grpc.StatusCode.OK
        assert await call(first, path, streaming, request_cls, wrong) == grpc.StatusCode.RESOURCE_EXHAUSTED
        await writer.flush()
        denied = await wait_for_records(audit.directory, 6, outcome="denied")
        assert [record.detail for record in denied] == ["UNAUTHENTICATED"] * 3 + ["RESOURCE_EXHAUSTED"] * 3
        assert len(await wait_for_records(audit.directory, 2, outcome="ok")) == 2
    finally:
        for channel in channels:
            await channel.close()
        await server.stop()
        await writer.close()
        await peer.stop()


async def test_the_peer_s_own_grpc_server_needs_the_token(tmp_path):
    peer = await start_peer(tmp_path)
    try:
        async with grpc.aio.insecure_channel(peer.addresses.grpc_address) as channel:
            path, streaming, request_cls = all_methods()[0]
            assert await call(channel, path, streaming, request_cls, []) == grpc.StatusCode.UNAUTHENTICATED
        denied = await wait_for_records(tmp_path / "audit", 1, outcome="denied", action="rpc.call")
        assert denied[0].resource == path
    finally:
        await peer.stop()


# -- HTTP ------------------------------------------------------------------------------------------

HTTP_ROUTES = [
    ("POST", "/"),
    ("POST", "/a2a"),
    ("POST", "/a2a/rest/message:send"),
    ("POST", "/a2a/rest/message:stream"),
    ("GET", "/a2a/rest/tasks"),
    ("GET", "/a2a/rest/tasks/t1"),
    ("POST", "/a2a/rest/tasks/t1:cancel"),
    ("POST", "/a2a/rest/tasks/t1:subscribe"),
    ("GET", "/a2a/rest/tasks/t1:subscribe"),
    ("POST", "/a2a/rest/tasks/t1/pushNotificationConfigs"),
    ("GET", "/a2a/rest/tasks/t1/pushNotificationConfigs"),
    ("GET", "/a2a/rest/tasks/t1/pushNotificationConfigs/c1"),
    ("DELETE", "/a2a/rest/tasks/t1/pushNotificationConfigs/c1"),
    ("GET", "/a2a/rest/extendedAgentCard"),
    ("POST", "/a2a/rest/v1/message:send"),
    ("POST", "/a2a/rest/v1/message:stream"),
    ("GET", "/a2a/rest/v1/tasks/t1"),
    ("POST", "/a2a/rest/v1/tasks/t1:cancel"),
    ("GET", "/a2a/rest/v1/tasks/t1:subscribe"),
    ("POST", "/a2a/rest/v1/tasks/t1/pushNotificationConfigs"),
    ("GET", "/a2a/rest/v1/tasks/t1/pushNotificationConfigs/c1"),
    ("GET", "/a2a/rest/v1/card"),
    ("GET", "/v1/audit/events"),
    ("GET", "/v1/bus/stream"),
]
PUBLIC = ["/health", "/.well-known/agent-card.json", "/.well-known/agent.json"]


async def test_every_http_route_refuses_missing_wrong_and_query_string_tokens_and_audits(tmp_path):
    peer = await start_peer(tmp_path)
    try:
        for index, (method, path) in enumerate(HTTP_ROUTES):
            # Each route from its own loopback address, so the per-address throttle never steps in here.
            connector = aiohttp.TCPConnector(local_addr=(f"127.0.0.{index + 2}", 0))
            async with aiohttp.ClientSession(connector=connector) as session:
                url = peer.addresses.http_url + path
                async with session.request(method, url, json={}) as response:
                    assert response.status == 401, (method, path)
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
                wrong = {"Authorization": "Bearer wrong-token-0123456789"}
                async with session.request(method, url, json={}, headers=wrong) as response:
                    assert response.status == 401, (method, path)
                for name in ("token", "access_token", "api_key"):
                    right = {"Authorization": f"Bearer {TOKEN}"}
                    async with session.request(method, url, params={name: TOKEN}, json={}, headers=right) as response:
                        assert response.status == 400, (method, path, name)
                        assert "query string" in (await response.json())["error"]
        expected = 5 * len(HTTP_ROUTES)
        denied = await wait_for_records(tmp_path / "audit", expected, outcome="denied", action="api.call")
        assert len(denied) == expected
        for index, (method, path) in enumerate(HTTP_ROUTES):
            mine = [r for r in denied if r.actor == f"http:127.0.0.{index + 2}"]
            assert [r.detail for r in mine] == ["401", "401", "400", "400", "400"], (method, path)
            assert {r.resource for r in mine} == {f"{method} {path}"}
    finally:
        await peer.stop()


async def test_http_failures_are_throttled_per_address_but_the_right_token_passes(tmp_path):
    peer = await start_peer(tmp_path)
    try:
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.200", 0))
        async with aiohttp.ClientSession(connector=connector) as session:
            url = peer.addresses.http_url + "/a2a/rest/tasks"
            statuses = []
            for _ in range(11):
                async with session.get(url, headers={"Authorization": "Bearer nope-nope-nope-nope"}) as response:
                    statuses.append(response.status)
            assert statuses == [401] * 10 + [429]
            async with session.get(url, headers={"Authorization": "Bearer nope-nope-nope-nope"}) as response:
                assert response.status == 429 and 0 < int(response.headers["Retry-After"]) <= 300
            headers = {"Authorization": f"Bearer {TOKEN}", "A2A-Version": "1.0"}
            async with session.get(url, headers=headers) as response:
                assert response.status == 200  # the right token passes even from the blocked address
    finally:
        await peer.stop()


async def test_health_and_agent_card_are_public_and_the_card_is_cacheable(tmp_path):
    peer = await start_peer(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            for path in PUBLIC:
                async with session.get(peer.addresses.http_url + path) as response:
                    assert response.status == 200, path
            card_url = peer.addresses.http_url + "/.well-known/agent-card.json"
            async with session.get(card_url) as response:
                card = await response.json()
                etag = response.headers["ETag"]
                assert (
                    response.headers["Cache-Control"].startswith("public")
                    and "max-age=" in response.headers["Cache-Control"]
                )
                parsedate_to_datetime(response.headers["Last-Modified"])  # a valid HTTP date
            assert card["name"] and card["skills"] and etag.startswith('"')
            legacy = peer.addresses.http_url + "/.well-known/agent.json"  # 0.3's shape unless 1.0 is asked for
            async with session.get(legacy, headers={"A2A-Version": "1.0"}) as response:
                assert response.headers["ETag"] == etag and await response.json() == card
            for validator in (etag, f"W/{etag}", f'"other", {etag}', "*"):
                async with session.get(card_url, headers={"If-None-Match": validator}) as response:
                    assert response.status == 304, validator
                    assert await response.read() == b""
                    assert response.headers["ETag"] == etag
            async with session.get(card_url, headers={"If-None-Match": '"stale"'}) as response:
                assert response.status == 200 and await response.json() == card
            # the public card does not take a token in the query string either
            async with session.get(card_url, params={"token": TOKEN}) as response:
                assert response.status == 400
        (refused,) = await wait_for_records(tmp_path / "audit", 1, resource="/.well-known")
        assert refused.detail == "400"  # only the refused read is audited; public reads are not
    finally:
        await peer.stop()
