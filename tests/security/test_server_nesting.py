"""Hostile request shapes get clean client errors on every binding, never a 500 or an INTERNAL (issue 12, item 11):
JSON nested past Python's recursion limit, free-form JSON nested deeper than gRPC can carry, and bytes that are
not a protobuf message at all."""

import uuid
from typing import Any

import aiohttp
import grpc
import pytest

from codetether.a2a import pb
from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.a2a.server.checks import MAX_FREE_FORM_DEPTH
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from tests.a2a.executors import EchoExecutor

TOKEN = "nesting-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
V1 = {**AUTH, "A2A-Version": "1.0"}
TOO_DEEP_FOR_PYTHON = 5000  # past the decoder's recursion limit
TOO_DEEP_FOR_GRPC = MAX_FREE_FORM_DEPTH + 1  # decodes fine, but no gRPC reader could take it back


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def raw_nested(depth: int) -> bytes:
    """A JSON value ``depth`` objects deep, as text (building it as Python objects would itself recurse)."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def v1_message(metadata: bytes) -> bytes:
    return b'{"message":{"messageId":"%s","role":"ROLE_USER","parts":[{"text":"hi"}]},"metadata":%s}' % (
        uuid.uuid4().hex.encode(),
        metadata,
    )


def v03_message(metadata: bytes) -> bytes:
    head = b'{"message":{"kind":"message","messageId":"%s","role":"user","parts":[{"kind":"text","text":"hi"}],'
    return head % uuid.uuid4().hex.encode() + b'"metadata":' + metadata + b"}}"


def envelope(method: str, params: bytes) -> bytes:
    return b'{"jsonrpc":"2.0","id":7,"method":"%s","params":%s}' % (method.encode(), params)


@pytest.fixture
async def peer(tmp_path):
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0),
        EchoExecutor(),
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp_path / "tasks.sqlite3"),
        audit=AuditLog(tmp_path / "audit"),
    )
    yield peer
    await peer.stop()


async def post(peer: Peer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        headers = {**headers, "Content-Type": "application/json"}
        async with session.post(peer.addresses.http_url + path, data=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)


@pytest.mark.parametrize(
    ("depth", "code"), [(TOO_DEEP_FOR_PYTHON, -32600), (TOO_DEEP_FOR_GRPC, -32602), (MAX_FREE_FORM_DEPTH, None)]
)
async def test_json_rpc_answers_deep_nesting_with_invalid_request_or_params(peer, depth, code):
    for method, params, headers in (
        ("SendMessage", v1_message(raw_nested(depth)), V1),
        ("message/send", v03_message(raw_nested(depth)), AUTH),
    ):
        status, body = await post(peer, "/a2a", envelope(method, params), headers)
        assert status == 200, (method, body)
        if code is None:
            assert "result" in body, (method, body)
        else:
            assert body["error"]["code"] == code and "deep" in body["error"]["message"], (method, body)


@pytest.mark.parametrize("depth", [TOO_DEEP_FOR_PYTHON, TOO_DEEP_FOR_GRPC])
async def test_rest_answers_deep_nesting_with_400(peer, depth):
    status, body = await post(peer, "/a2a/rest/message:send", v1_message(raw_nested(depth)), V1)
    assert status == 400 and "deep" in body["error"]["message"], body
    status, body = await post(peer, "/a2a/rest/v1/message:send", v03_message(raw_nested(depth)), AUTH)
    assert status == 400, body


async def grpc_send(peer: Peer, service: str, payload: bytes) -> grpc.aio.AioRpcError | None:
    async with grpc.aio.insecure_channel(peer.addresses.grpc_address) as channel:
        call = channel.unary_unary(f"/{service}/SendMessage", request_serializer=lambda raw: raw)
        try:
            await call(payload, metadata=[("authorization", f"Bearer {TOKEN}")], timeout=10)
        except grpc.aio.AioRpcError as exc:
            return exc
    return None


async def test_grpc_answers_bytes_that_are_not_a_protobuf_message_with_invalid_argument(peer):
    for service in ("lf.a2a.v1.A2AService", "a2a.v1.A2AService"):
        for payload in (b"\xff\xff\xff\xff garbage", b"\x0a\x05ab"):  # a wire-type mess; a field cut short
            error = await grpc_send(peer, service, payload)
            assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, (service, payload)
            assert "not a valid" in error.details()


async def test_grpc_refuses_free_form_json_deeper_than_it_could_return(peer):
    v1 = pb.v1()
    request = v1.SendMessageRequest(
        message=v1.Message(message_id=uuid.uuid4().hex, role=v1.ROLE_USER, parts=[v1.Part(text="hi")])
    )
    request.metadata.update({"x": nested(TOO_DEEP_FOR_GRPC - 1)})  # the Struct itself is the first level
    error = await grpc_send(peer, "lf.a2a.v1.A2AService", request.SerializeToString())
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "deeper than" in error.details()
