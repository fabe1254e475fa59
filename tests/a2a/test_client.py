"""Our A2A client against real servers: the a2a-sdk reference server and `codetether serve`.

Every protocol test runs for each server, binding (JSON-RPC, gRPC) and spec version (1.0, 0.3), and
checks that the answer comes back as the same domain types whichever way it travelled. Error paths
(refused token, unreachable peer, a card with nothing we speak) and the `codetether a2a` CLI run
against our own server and small loopback fakes.
"""

import asyncio
import json
import socket
from contextlib import aclosing

import pytest
from aiohttp import web

from codetether.a2a.client.client import (
    A2AAuthError,
    A2AClient,
    A2AClientError,
    A2AConnectionError,
    Endpoint,
    choose_endpoint,
    endpoints,
)
from codetether.a2a.domain import errors
from codetether.a2a.domain import types as t
from tests.fakes.http import serve_handler

from .client_servers import TOKEN, our_server, sdk_server

COMBOS = [("jsonrpc", "1.0"), ("jsonrpc", "0.3"), ("grpc", "1.0"), ("grpc", "0.3")]
HOOK = "http://127.0.0.1:9/hook"  # never called: configs are deleted before the task moves on


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    with sdk_server(tmp_path_factory.mktemp("sdk")) as server:
        yield server


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    with our_server(tmp_path_factory.mktemp("ours")) as server:
        yield server


@pytest.fixture(scope="module", params=["sdk", "ours"])
def server(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(params=COMBOS, ids=[f"{transport}-{version}" for transport, version in COMBOS])
async def client(server, request):
    transport, version = request.param
    async with await A2AClient.connect(server.url, token=server.token, transport=transport, version=version) as c:
        c.asked = request.param
        yield c


def texts(task: t.Task) -> list[str]:
    return [part.text for artifact in task.artifacts for part in artifact.parts if part.text]


def state_of(event: t.StreamResponse) -> t.TaskState | None:
    if event.task is not None:
        return event.task.status.state
    if event.status_update is not None:
        return event.status_update.status.state
    return None


# -- the protocol, over every server, binding and version ---------------------------------------------


async def test_connect_picks_the_interface_asked_for(client, server):
    transport, version = client.asked
    assert (client.endpoint.binding, client.version) == ({"jsonrpc": "JSONRPC", "grpc": "GRPC"}[transport], version)
    expected = server.url + "/" if transport == "jsonrpc" else server.grpc
    assert client.endpoint.url in (expected, "http://" + expected)  # ours is an absolute URL, the SDK's host:port
    assert client.card_url == server.url + "/.well-known/agent-card.json"
    assert client.card.capabilities.streaming


async def test_send_get_and_list(client):
    task = await client.send("hello")
    assert isinstance(task, t.Task)
    assert task.status.state is t.TaskState.COMPLETED
    assert texts(task) == ["echo: hello"]
    assert task.status.message is not None and task.status.message.role is t.Role.AGENT

    again = await client.get_task(task.id, history_length=1)
    assert (again.id, again.context_id, again.status.state) == (task.id, task.context_id, t.TaskState.COMPLETED)
    assert [m.text() for m in again.history] == ["hello"]

    follow_up = await client.send("more", context_id=task.context_id)
    assert follow_up.context_id == task.context_id and follow_up.id != task.id

    if client.version == "1.0":
        listed = await client.list_tasks(context_id=task.context_id, page_size=10)
        assert {task.id, follow_up.id} <= {item.id for item in listed.tasks}
        assert listed.total_size >= 2
    else:
        with pytest.raises(errors.UnsupportedOperationError, match="spec 1.0"):
            await client.list_tasks()


async def test_stream(client):
    events = [event async for event in client.stream("hi")]
    assert events[0].task is not None and events[0].task.status.state is t.TaskState.SUBMITTED
    task_id = events[0].task.id
    artifacts = [e.artifact_update for e in events if e.artifact_update is not None]
    assert [p.text for a in artifacts for p in a.artifact.parts] == ["echo: hi"]
    assert all(a.task_id == task_id for a in artifacts)
    assert [state_of(e) for e in events if e.status_update][-1] is t.TaskState.COMPLETED
    assert t.TaskState.WORKING in [state_of(e) for e in events]


async def test_cancel_subscribe_and_push_configs(client):
    task = await client.send("slow", blocking=False)
    assert task.status.state in (t.TaskState.SUBMITTED, t.TaskState.WORKING)

    created = await client.create_push_config(task.id, HOOK, config_id="c1", token="hook-token")
    assert (created.id, created.task_id, created.url, created.token) == ("c1", task.id, HOOK, "hook-token")
    assert await client.get_push_config(task.id, "c1") == created
    assert [c.id for c in await client.list_push_configs(task.id)] == ["c1"]
    await client.delete_push_config(task.id, "c1")
    assert await client.list_push_configs(task.id) == []

    async with aclosing(client.subscribe(task.id)) as events:
        first = await anext(events)  # the task as it stands: the subscription is live from here on
        assert state_of(first) in (t.TaskState.SUBMITTED, t.TaskState.WORKING)
        canceled = await client.cancel(task.id)
        assert canceled.status.state is t.TaskState.CANCELED
        rest = [event async for event in events]
    assert state_of(rest[-1]) is t.TaskState.CANCELED

    assert (await client.get_task(task.id)).status.state is t.TaskState.CANCELED
    with pytest.raises(errors.UnsupportedOperationError, match="terminal state"):  # nothing more to follow
        await anext(aiter(client.subscribe(task.id)))
    with pytest.raises(errors.TaskNotCancelableError):
        await client.cancel(task.id)


async def test_unknown_task(client):
    with pytest.raises(errors.TaskNotFoundError):
        await client.get_task("no-such-task")
    with pytest.raises(errors.TaskNotFoundError):
        await client.cancel("no-such-task")


async def test_extended_card(client, server):
    card = await client.extended_card()
    if server.name == "codetether serve":  # ours has one: a skill per tool on top of the public ones
        assert any(skill.id.startswith("tool.") for skill in card.skills)
        assert len(card.skills) > len(client.card.skills)
    else:  # the reference declares none, so the public card stands in
        assert card == client.card


# -- our server only -------------------------------------------------------------------------------


@pytest.mark.parametrize(("transport", "version"), COMBOS)
async def test_input_required_then_answer(ours, transport, version):
    async with await A2AClient.connect(ours.url, token=TOKEN, transport=transport, version=version) as client:
        asked = await client.send("ask")
        assert asked.status.state is t.TaskState.INPUT_REQUIRED
        assert asked.status.message.text() == "which file?"
        answered = await client.send("main.py", task_id=asked.id)
        assert (answered.id, answered.status.state) == (asked.id, t.TaskState.COMPLETED)
        assert texts(answered) == ["echo: main.py"]
        events = [e async for e in client.stream("ask")]
        assert state_of(events[-1]) is t.TaskState.INPUT_REQUIRED  # a stream ends where the task waits


@pytest.mark.parametrize("transport", ["jsonrpc", "grpc"])
async def test_wrong_or_missing_token_is_a_clear_auth_error(ours, transport, monkeypatch):
    async with await A2AClient.connect(ours.url, token="not-the-right-token", transport=transport) as client:
        with pytest.raises(A2AAuthError, match="refused the token given") as refused:
            await client.send("hi")
    assert "CODETETHER_A2A_TOKEN" in str(refused.value)
    async with await A2AClient.connect(ours.url, transport=transport) as client:  # the env has no token
        with pytest.raises(A2AAuthError, match="none was sent"):
            await client.get_task("x")
    monkeypatch.setenv("CODETETHER_AUTH_TOKEN", TOKEN)
    async with await A2AClient.connect(ours.url, transport=transport) as client:
        assert (await client.send("from env")).status.state is t.TaskState.COMPLETED


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_agent_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(A2AConnectionError, match=f"cannot reach the agent at {url}/.well-known/agent-card.json"):
        await A2AClient.connect(url)
    with pytest.raises(A2AClientError, match="not an http"):
        await A2AClient.connect("localhost:1234")


# -- fake peers: cards we only read, endpoints that misbehave ---------------------------------------


@pytest.fixture
async def fake_peer():
    """A loopback aiohttp server; ``routes`` maps path → handler, filled in by each test."""
    routes: dict[str, object] = {}

    async def dispatch(request: web.Request) -> web.StreamResponse:
        handler = routes.get(request.path)
        if handler is None:
            return web.Response(status=404)
        return await handler(request)

    # handler_cancellation: a hung handler ends when its client leaves
    runner, base = await serve_handler(dispatch, handler_cancellation=True)
    yield base, routes
    await runner.cleanup()


def card_json(**fields) -> dict:
    return {"name": "Fake", "description": "a fake agent", "version": "0.0.1", **fields}


def serve_json(data, status: int = 200):
    async def handler(request):
        return web.json_response(data, status=status)

    return handler


async def test_a_v03_only_card_is_read_from_its_legacy_fields(fake_peer):
    base, routes = fake_peer
    grpc_target = f"127.0.0.1:{free_port()}"
    routes["/.well-known/agent-card.json"] = serve_json(
        card_json(
            url=base + "/rpc",
            preferredTransport="JSONRPC",
            protocolVersion="0.3.0",
            additionalInterfaces=[{"url": grpc_target, "transport": "GRPC"}],
            capabilities={"streaming": True},
        )
    )
    async with await A2AClient.connect(base) as client:
        assert client.endpoint == Endpoint("JSONRPC", "0.3", base + "/rpc")
    with pytest.raises(A2AClientError, match=r"offers no JSON-RPC or gRPC interface for spec 1.0 .*GRPC 0.3"):
        await A2AClient.connect(base, version="1.0")
    async with await A2AClient.connect(base + "/.well-known/agent-card.json", transport="grpc") as client:
        assert client.endpoint == Endpoint("GRPC", "0.3", grpc_target)
        with pytest.raises(A2AConnectionError, match=f"cannot reach the agent at {grpc_target}"):
            await client.get_task("x")


async def test_a_slow_or_broken_peer_is_a_clear_error(fake_peer):
    base, routes = fake_peer
    interfaces = [{"url": base + "/", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}]
    seen: dict[str, str | None] = {}

    async def card(request):
        seen["card"] = request.headers.get("Authorization")
        return web.json_response(card_json(supportedInterfaces=interfaces))

    async def not_found(request):
        seen["rpc"] = request.headers.get("Authorization")
        body = await request.json()
        return web.json_response({"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32001, "message": "gone"}})

    async def hang(request):
        await asyncio.sleep(10)
        return web.Response()

    routes["/.well-known/agent-card.json"] = card
    routes["/"] = not_found
    async with await A2AClient.connect(base, token="x" * 16, timeout=0.3) as client:
        with pytest.raises(errors.TaskNotFoundError, match="gone"):
            await client.get_task("x")
        assert seen == {"card": None, "rpc": "Bearer " + "x" * 16}  # the public card never gets the token
        routes["/"] = hang
        with pytest.raises(A2AConnectionError, match=r"did not answer within 0.3 s"):
            await client.get_task("x")
        routes["/"] = serve_json({"error": "boom"}, status=502)
        with pytest.raises(A2AClientError, match="answered HTTP 502: boom"):
            await client.get_task("x")
        routes["/"] = serve_json({"jsonrpc": "2.0", "id": "1", "result": {"id": 7}})
        with pytest.raises(errors.InvalidAgentResponseError, match="GetTask"):
            await client.get_task("x")

    async def html(request):
        return web.Response(text="<html>hello</html>", content_type="text/html")

    routes["/.well-known/agent-card.json"] = html
    with pytest.raises(A2AClientError, match="is not an agent card"):
        await A2AClient.connect(base)


def test_endpoint_choice_prefers_1_0_then_json_rpc():
    interfaces = [
        t.AgentInterface(url="g", protocol_binding="GRPC", protocol_version="1.0"),
        t.AgentInterface(url="j03", protocol_binding="JSONRPC", protocol_version="0.3.0"),
        t.AgentInterface(url="j1", protocol_binding="JSONRPC", protocol_version="1.0"),
        t.AgentInterface(url="r", protocol_binding="HTTP+JSON", protocol_version="1.0"),
    ]
    card = t.AgentCard(name="c", description="", version="1", supported_interfaces=interfaces)
    assert [e.version for e in endpoints(card)] == ["1.0", "0.3", "1.0", "1.0"]
    assert choose_endpoint(card).url == "j1"
    assert choose_endpoint(card, "grpc").url == "g"
    assert choose_endpoint(card, version="0.3").url == "j03"
    with pytest.raises(A2AClientError, match="no gRPC interface for spec 0.3"):
        choose_endpoint(card, "grpc", "0.3")
    grpc_only = t.AgentCard(name="c", description="", version="1", supported_interfaces=interfaces[:1])
    assert choose_endpoint(grpc_only).url == "g"  # auto takes gRPC when that is all there is


# -- the CLI ---------------------------------------------------------------------------------------


def test_cli_card(cli, ours):
    shown = cli("a2a", "card", ours.url)
    assert shown.code == 0, shown.stderr
    assert "CodeTether" in shown.stdout
    assert f"GRPC       0.3  http://{ours.grpc}" in shown.stdout
    assert "capabilities: streaming, push notifications, extended card" in shown.stdout
    as_json = cli("a2a", "card", ours.url + "/.well-known/agent-card.json", "--json")
    assert as_json.code == 0
    assert json.loads(as_json.stdout)["name"] == "CodeTether"


def test_cli_send(cli, ours):
    env = {"CODETETHER_A2A_TOKEN": TOKEN}
    plain = cli("a2a", "send", ours.url, "hello", "there", env=env)
    assert (plain.code, plain.stdout) == (0, "echo: hello there\n"), plain.stderr
    assert ": completed" in plain.stderr

    streamed = cli("a2a", "send", "--stream", "--transport", "grpc", "--version", "0.3", ours.url, "hi", env=env)
    assert (streamed.code, streamed.stdout) == (0, "echo: hi\n"), streamed.stderr
    assert "[working]" in streamed.stderr

    as_json = cli("a2a", "send", "--json", "--version", "0.3", ours.url, "hi", env=env)
    assert json.loads(as_json.stdout)["status"]["state"] == "TASK_STATE_COMPLETED"

    queued = cli("a2a", "send", "--no-wait", ours.url, "slow", env=env)
    assert queued.code == 0 and len(queued.stdout.strip()) >= 16  # the task id, to follow up on


@pytest.mark.parametrize(
    ("text", "flags", "code", "said"),
    [
        ("fail", [], 1, "failed: it broke on purpose"),
        ("reject", ["--stream"], 1, "rejected: not doing that"),
        ("ask", [], 3, "input-required: which file?"),
    ],
)
def test_cli_send_exit_codes(cli, ours, text, flags, code, said):
    result = cli("a2a", "send", *flags, ours.url, text, env={"CODETETHER_AUTH_TOKEN": TOKEN})
    assert result.code == code, result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_errors_are_one_clear_line(cli, ours):
    refused = cli("a2a", "send", "--token", "not-the-right-token", ours.url, "hi")
    assert refused.code == 4
    assert "refused the token given" in refused.stderr and "Traceback" not in refused.stderr
    url = f"http://127.0.0.1:{free_port()}"
    unreachable = cli("a2a", "send", url, "hi")
    assert unreachable.code == 1
    assert f"cannot reach the agent at {url}" in unreachable.stderr and "Traceback" not in unreachable.stderr


def test_cli_help_stays_light():
    from tests.cli.test_startup import imported_modules

    modules = {name.split(".")[0] for name in imported_modules("a2a", "send", "--help")}
    assert not {"aiohttp", "grpc", "msgspec"} & modules
