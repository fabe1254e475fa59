"""The one spec 0.3 mapping, under both of its dialects (JSON-RPC JSON and protobuf JSON)."""

import msgspec
import pytest

from codetether.a2a.domain import errors
from codetether.a2a.domain.types import Message, Part, Role, StreamResponse, TaskState
from codetether.a2a.wire import v03_model as m
from codetether.a2a.wire.compat_v03 import JSONRPC
from codetether.a2a.wire.proto_convert import PROTO

DIALECTS = pytest.mark.parametrize("dialect", [JSONRPC, PROTO], ids=["jsonrpc", "proto"])


def test_every_task_state_has_one_row():
    assert [row[0] for row in m.STATES] == list(TaskState)


@DIALECTS
def test_a_message_with_every_kind_of_part_survives_the_round_trip(dialect):
    message = Message(
        message_id="m1",
        role=Role.AGENT,
        parts=[
            Part(text="hi", metadata={"k": 1}),
            Part(raw=b"\x00\xff", filename="a.bin", media_type="application/octet-stream"),
            Part(url="https://example.com/a.txt"),
            Part(data={"k": [1, 2]}),
        ],
        context_id="c1",
    )
    event = msgspec.to_builtins(StreamResponse(message=message))
    back = msgspec.convert(m.event_from(m.event_to(event, dialect), dialect), StreamResponse)
    assert back.message == message


@DIALECTS
def test_a_file_with_both_bytes_and_uri_is_refused_naming_the_field(dialect):
    file = {dialect.bytes_key: "aGk=", dialect.uri_key: "https://example.com/a.txt"}
    with pytest.raises(errors.InvalidParamsError, match=r"message\.parts\[0\]\.file: .* not both"):
        m.message_from({"role": "ROLE_USER", dialect.parts_key: [{"file": file}]}, dialect)


@DIALECTS
def test_a_file_with_bad_base64_is_refused(dialect):
    with pytest.raises(errors.InvalidParamsError, match="not valid base64"):
        m.part_from({"file": {dialect.bytes_key: "not base64!"}}, dialect)
