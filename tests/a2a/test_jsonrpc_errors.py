"""Bad requests get clean, specific errors on every binding, and the JSON-RPC endpoint survives a fuzzer.

The named cases check each JSON-RPC error code, the version gate on JSON-RPC, REST and gRPC, and the
body-size limit. The fuzz test throws 3 x 1,200 = 3,600 hypothesis examples (random bytes, random
JSON values, random envelopes naming the real methods with params shaped like each method's request
type, a field now and then of the wrong type) at one
running server: every answer must be HTTP 200 (or 413) carrying a well-formed JSON-RPC response,
never an internal error, never a dropped connection, and the server must still work afterwards.
"""

import asyncio
import base64
import io
import json
import uuid
from typing import Any

import aiohttp
import msgspec
import msgspec.inspect as mi
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server import jsonrpc
from codetether.server.peer import Peer

from .drivers import TOKEN, CallError, GrpcDriver, sse_data
from .executors import EchoExecutor

module_loop = pytest.mark.asyncio(loop_scope="module")  # the fuzz test below is sync: it runs its own loop
MAX_BODY = 4096
AUTH = {"Authorization": f"Bearer {TOKEN}"}
V1 = {**AUTH, "A2A-Version": "1.0"}
KNOWN_CODES = {-32700, -32600, -32601, -32602, -32001, -32002, -32003, -32004, -32005, -32007, -32009}


async def start_peer(tmp, **overrides: Any) -> Peer:
    settings = A2ASection(port=0, grpc_port=0, max_body_bytes=MAX_BODY, **overrides)
    return await Peer.start(
        settings,
        EchoExecutor(),
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp / "tasks.sqlite3"),
        audit=AuditLog(tmp / "audit"),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def peer(tmp_path_factory):
    peer = await start_peer(tmp_path_factory.mktemp("jsonrpc-errors"))
    yield peer
    await peer.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


def check_response(body: Any) -> dict[str, Any]:
    """A well-formed JSON-RPC 2.0 response: exactly one of result and error; errors carry a known code."""
    assert isinstance(body, dict), body
    assert body.get("jsonrpc") == "2.0" and "id" in body, body
    assert isinstance(body["id"], int | str | None), body
    assert ("result" in body) != ("error" in body), body
    if "error" in body:
        error = body["error"]
        assert set(error) <= {"code", "message", "data"}, body
        assert error["code"] in KNOWN_CODES, body  # -32603 would mean an unhandled exception: a bug
        assert isinstance(error["message"], str) and error["message"], body
        if "data" in error:
            assert isinstance(error["data"], list), body
    return body


async def post(session, peer: Peer, body: bytes | Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    payload = io.BytesIO(data) if len(data) > 1 << 20 else data  # aiohttp warns about big raw bytes bodies
    async with session.post(peer.addresses.http_url + "/", data=payload, headers=headers or V1) as response:
        return response.status, await response.json(content_type=None)


async def error_of(session, peer: Peer, body: bytes | Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    status, reply = await post(session, peer, body, headers)
    assert status == 200
    return check_response(reply)["error"]


@module_loop
async def test_malformed_json_is_a_parse_error(session, peer):
    for body in (b"{not json", b"", b'{"jsonrpc": "2.0", "method": "GetTask", "id": 1', b"\xff\xfe\x00"):
        status, reply = await post(session, peer, body)
        assert status == 200 and check_response(reply)["error"]["code"] == -32700 and reply["id"] is None


@module_loop
async def test_wrong_envelope_is_an_invalid_request(session, peer):
    for body in (
        [],
        [{"jsonrpc": "2.0", "method": "GetTask", "id": 1}],  # batches are not part of A2A
        "GetTask",
        {"jsonrpc": "2.0", "id": 1},  # no method
        {"jsonrpc": "1.0", "method": "GetTask", "id": 1, "params": {"id": "x"}},
        {"jsonrpc": "2.0", "method": 7, "id": 1},
        {"jsonrpc": "2.0", "method": "GetTask", "id": {"nested": True}},
    ):
        assert (await error_of(session, peer, body))["code"] == -32600, body
    # The id of an otherwise valid envelope is echoed even in the error.
    _, reply = await post(session, peer, {"jsonrpc": "1.0", "method": "GetTask", "id": "abc"})
    assert reply["id"] in ("abc", None)


@module_loop
async def test_request_without_method_is_answered_with_its_id(session, peer):
    """JSON-RPC 2.0 §5: the id is null only when it cannot be read; an invalid envelope with an id keeps it."""
    for headers in (V1, AUTH):
        for body, request_id in (
            ({"jsonrpc": "2.0", "id": 41}, 41),
            ({"jsonrpc": "2.0", "id": "req-7", "params": {}}, "req-7"),
            ({"jsonrpc": "2.0", "id": "req-8", "method": 7}, "req-8"),
            ({"id": "req-9", "method": "GetTask"}, "req-9"),
        ):
            status, reply = await post(session, peer, body, headers)
            assert status == 200 and check_response(reply)["error"]["code"] == -32600, body
            assert reply["id"] == request_id, (body, reply)


@module_loop
async def test_unknown_method(session, peer):
    error = await error_of(session, peer, {"jsonrpc": "2.0", "id": 3, "method": "tasks/explode", "params": {}})
    assert error["code"] == -32601 and "tasks/explode" in error["message"]
    # A 0.3 method name sent as 1.0 is not found either (and the message says why).
    error = await error_of(session, peer, {"jsonrpc": "2.0", "id": 3, "method": "tasks/get", "params": {"id": "x"}})
    assert error["code"] == -32601 and "0.3" in error["message"]


@module_loop
async def test_wrong_param_types(session, peer):
    cases = [
        ("GetTask", {"id": 5}),
        ("GetTask", []),
        ("GetTask", {}),
        ("ListTasks", {"pageSize": "ten"}),
        ("SendMessage", {"message": {"messageId": "m", "role": "ROLE_BOSS", "parts": [{"text": "hi"}]}}),
        ("SendMessage", {"message": {"messageId": "m", "role": "ROLE_USER", "parts": []}}),
        ("SendMessage", {"message": {"messageId": "m", "role": "ROLE_AGENT", "parts": [{"text": "hi"}]}}),
        ("GetTask", {"id": "x", "historyLength": -1}),
        ("ListTasks", {"pageSize": 0}),
        ("ListTasks", {"pageToken": "not a token"}),
    ]
    for method, params in cases:
        error = await error_of(session, peer, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        assert error["code"] == -32602, (method, params, error)
    _, reply = await post(
        session,
        peer,
        {"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {"message": {"kind": "text"}}},
        AUTH,
    )
    assert check_response(reply)["error"]["code"] == -32602


@module_loop
async def test_out_of_range_list_filters_are_invalid_params_not_internal_errors(session, peer):
    huge_token = base64.urlsafe_b64encode(f"{10**30}:task".encode()).decode().rstrip("=")
    for params in (
        {"pageToken": huge_token},
        {"statusTimestampAfter": "2300-01-01T00:00:00Z"},
        {"statusTimestampAfter": "0001-01-01T00:00:00Z"},
    ):
        _, reply = await post(session, peer, {"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": params})
        body = check_response(reply)
        assert "error" not in body or body["error"]["code"] == -32602, (params, body)


@module_loop
async def test_spec_1_0_method_without_the_version_header(session, peer):
    error = await error_of(session, peer, {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}, AUTH)
    assert error["code"] == -32009 and "A2A-Version: 1.0" in error["message"]


@module_loop
async def test_unsupported_version_on_every_binding(session, peer):
    headers = {**AUTH, "A2A-Version": "9.9"}
    error = await error_of(
        session, peer, {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}, headers
    )
    assert error["code"] == -32009 and "9.9" in error["message"]

    async with session.get(peer.addresses.http_url + "/a2a/rest/tasks/x", headers=headers) as response:
        assert response.status == 400
        body = (await response.json())["error"]
    assert body["status"] == "FAILED_PRECONDITION" and body["details"][0]["reason"] == "VERSION_NOT_SUPPORTED"

    for version in ("1.0", "0.3"):
        driver = GrpcDriver(version, peer.addresses.grpc_address)
        driver.metadata = lambda token=TOKEN: [("a2a-version", "9.9"), ("authorization", f"Bearer {token}")]
        try:
            with pytest.raises(CallError) as caught:
                await driver.get("x")
        finally:
            await driver.close()
        assert caught.value.kind == "VersionNotSupported" and caught.value.raw["code"] == "FAILED_PRECONDITION"
    # a 0.3 client calling the 1.0 service is told which service to call
    driver = GrpcDriver("1.0", peer.addresses.grpc_address)
    driver.metadata = lambda token=TOKEN: [("a2a-version", "0.3"), ("authorization", f"Bearer {token}")]
    try:
        with pytest.raises(CallError) as caught:
            await driver.get("x")
    finally:
        await driver.close()
    assert caught.value.kind == "VersionNotSupported" and "a2a.v1.A2AService" in caught.value.raw["details"]


@module_loop
async def test_oversized_body_is_a_clean_413_and_the_server_goes_on(session, peer):
    for size in (MAX_BODY + 1, 64 * 1024, 4 * 1024 * 1024):
        text = "x" * size
        body = {"jsonrpc": "2.0", "id": 9, "method": "SendMessage", "params": {"message": {"text": text}}}
        status, reply = await post(session, peer, body)
        assert status == 413, size
        error = check_response(reply)["error"]
        assert error["code"] == -32600 and str(MAX_BODY) in error["message"]
        async with session.post(
            peer.addresses.http_url + "/a2a/rest/message:send", data=io.BytesIO(json.dumps(body).encode()), headers=V1
        ) as response:
            assert response.status == 413
            assert (await response.json())["error"]["code"] == 413
    ok = {"jsonrpc": "2.0", "id": 10, "method": "SendMessage", "params": _send("still here")}
    status, reply = await post(session, peer, ok)
    assert status == 200 and check_response(reply)["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
    # gRPC has its own limit (the same setting): RESOURCE_EXHAUSTED, and the channel stays usable.
    driver = GrpcDriver("1.0", peer.addresses.grpc_address)
    try:
        with pytest.raises(CallError) as caught:
            await driver.send("y" * (MAX_BODY * 4))
        assert caught.value.raw["code"] == "RESOURCE_EXHAUSTED"
        assert (await driver.send("small")).state == "completed"
    finally:
        await driver.close()


def _send(text: str) -> dict[str, Any]:
    return {"message": {"messageId": uuid.uuid4().hex, "role": "ROLE_USER", "parts": [{"text": text}]}}


# -- fuzz ------------------------------------------------------------------------------------------

EXAMPLES_PER_STRATEGY = 1200
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_STRATEGY,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
METHOD_NAMES = sorted([*jsonrpc.METHODS_V1, *jsonrpc.METHODS_V03])
PARAM_TYPES = {name: method.params for name, method in {**jsonrpc.METHODS_V1, **jsonrpc.METHODS_V03}.items()}
VERSIONS = st.sampled_from([None, "1.0", "0.3", "1", "0.3.0", "2.0", "x", ""])

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Strings that mean something somewhere: timestamps (statusTimestampAfter), page tokens, base64, URLs.
timestamps = st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()) | st.sampled_from(
    ["2300-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "yesterday"]
)
page_tokens = st.builds(
    lambda n, key: base64.urlsafe_b64encode(f"{n}:{key}".encode()).decode().rstrip("="),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(max_size=10),
)
meaningful_text = (
    st.text(max_size=16)
    | timestamps
    | page_tokens
    | st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
    | st.sampled_from(["", "ROLE_USER", "TASK_STATE_WORKING", "tasks/x", "tasks/x/pushNotificationConfigs/y"])
)


def typed(info: Any) -> st.SearchStrategy:
    """Values shaped like a msgspec type (as the JSON-RPC params decoder sees it), now and then wrong."""
    if isinstance(info, mi.Metadata):
        return typed(info.type)
    if isinstance(info, mi.StructType):
        fields = {field.encode_name: typed(field.type) for field in info.fields}
        required = {field.encode_name for field in info.fields if field.required}
        fixed = {name: value for name, value in fields.items() if name in required}
        if info.tag_field:
            fixed[info.tag_field] = st.just(info.tag) | json_leaves
        optional = {name: value for name, value in fields.items() if name not in required}
        return st.fixed_dictionaries(fixed, optional=optional)
    if isinstance(info, mi.UnionType):
        members = [typed(member) for member in info.types if not isinstance(member, mi.NoneType)]
        return mostly(st.one_of(members), st.none()) if len(members) < len(info.types) else st.one_of(members)
    if isinstance(info, mi.ListType):
        return st.lists(typed(info.item_type), max_size=3)
    if isinstance(info, mi.DictType):
        return st.dictionaries(st.text(max_size=6), json_values, max_size=3)
    if isinstance(info, mi.EnumType):
        return st.sampled_from([member.value for member in info.cls]) | st.text(max_size=8)
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    simple = {
        mi.StrType: meaningful_text,
        mi.IntType: st.integers(min_value=-3, max_value=120) | st.integers(min_value=-(2**70), max_value=2**70),
        mi.BoolType: st.booleans(),
        mi.FloatType: st.floats(allow_nan=False, allow_infinity=False),
        mi.NoneType: st.none(),
        mi.BytesType: st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode()),
    }
    for kind, strategy in simple.items():
        if isinstance(info, kind):
            return mostly(strategy, json_leaves)
    return json_values  # Any, Raw


nine_in_ten = st.sampled_from([True] * 9 + [False])  # hypothesis favours the first entry, not a fair die


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` nine times in ten: a wrong type in every field would stop most requests at decoding."""
    return nine_in_ten.flatmap(lambda usual_one: usual if usual_one else odd)


PARAMS = {
    name: (json_values if kind is msgspec.Raw else typed(mi.type_info(kind))) for name, kind in PARAM_TYPES.items()
}


@st.composite
def envelopes(draw) -> tuple[dict[str, Any], str | None]:
    """An envelope and the A2A-Version header to send it with; mostly the method's own version and params."""
    method = draw(mostly(st.sampled_from(METHOD_NAMES), st.text(max_size=30)))
    envelope: dict[str, Any] = {"jsonrpc": draw(mostly(st.just("2.0"), json_leaves)), "method": method}
    if draw(st.booleans()):
        envelope["id"] = draw(st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=10) | json_values)
    if draw(nine_in_ten):
        known = PARAMS.get(method)
        envelope["params"] = draw(mostly(known, json_values) if known is not None else json_values)
    own = "1.0" if method in jsonrpc.METHODS_V1 else None
    version = draw(mostly(st.just(own), VERSIONS))
    if not draw(nine_in_ten):  # now and then the method name somewhere else
        envelope = {"jsonrpc": "2.0", "id": 1, "params": {"method": method}}
    return envelope, version


def test_fuzz_jsonrpc_endpoint(tmp_path):
    """3 strategies x 1,200 examples = 3,600 requests against one server; every answer is well formed."""
    loop = asyncio.new_event_loop()
    counts = {"bytes": 0, "json": 0, "envelope": 0}

    async def setup():
        return await start_peer(tmp_path), aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    peer, session = loop.run_until_complete(setup())
    url = peer.addresses.http_url + "/"

    async def exchange(body: bytes, version: str | None) -> None:
        headers = dict(AUTH)
        if version is not None:
            headers["A2A-Version"] = version
        async with session.post(url, data=body, headers=headers) as response:
            assert response.status in (200, 413), (response.status, body)
            if response.content_type == "text/event-stream":
                frames = [frame async for frame in sse_data(response)]
                assert frames, body
                for frame in frames:
                    check_response(frame)
            else:
                assert response.content_type == "application/json", (response.content_type, body)
                check_response(await response.json())

    def run(body: bytes, version: str | None) -> None:
        loop.run_until_complete(exchange(body, version))

    @FUZZ_SETTINGS
    @given(body=st.binary(max_size=600), version=VERSIONS)
    def fuzz_bytes(body, version):
        counts["bytes"] += 1
        run(body, version)

    @FUZZ_SETTINGS
    @given(value=json_values, version=VERSIONS)
    def fuzz_json(value, version):
        counts["json"] += 1
        run(json.dumps(value).encode(), version)

    @FUZZ_SETTINGS
    @given(request=envelopes())
    def fuzz_envelopes(request):
        counts["envelope"] += 1
        envelope, version = request
        run(json.dumps(envelope).encode(), version)

    try:
        fuzz_bytes()
        fuzz_json()
        fuzz_envelopes()

        async def still_healthy():
            async with session.get(peer.addresses.http_url + "/health") as response:
                assert response.status == 200
            body = {"jsonrpc": "2.0", "id": "after", "method": "SendMessage", "params": _send("after the fuzz")}
            async with session.post(url, json=body, headers=V1) as response:
                reply = check_response(await response.json())
            assert reply["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"

        loop.run_until_complete(still_healthy())
    finally:
        loop.run_until_complete(session.close())
        loop.run_until_complete(peer.stop())
        loop.close()
    print(f"fuzz examples run: {counts} (total {sum(counts.values())})")
    assert all(count >= EXAMPLES_PER_STRATEGY for count in counts.values()), counts
    assert sum(counts.values()) >= 3 * EXAMPLES_PER_STRATEGY
