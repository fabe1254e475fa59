"""SSE and AWS event-stream decoding under arbitrary chunking; SigV4 against AWS's published vectors."""

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codetether.providers.eventstream import EventStreamDecoder, EventStreamError
from codetether.providers.sigv4 import canonical_request, sign
from codetether.providers.sse import SSEDecoder
from tests.fakes import eventstream


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


def decode_sse(pieces: list[bytes]):
    decoder = SSEDecoder()
    return [e for piece in pieces for e in decoder.feed(piece)]


SSE_BODY = (
    ": keep-alive comment\r\n"
    'event: message_start\r\ndata: {"a": "café 🙂"}\r\n\r\n'
    "data: line one\ndata: line two\n\n"
    "id: 7\nevent: ping\ndata:no-space\r\r"
    "data: [DONE]\n\n"
).encode()


def test_sse_fields_and_line_endings():
    events = decode_sse([SSE_BODY])
    assert [(e.event, e.data) for e in events] == [
        ("message_start", '{"a": "café 🙂"}'),
        ("message", "line one\nline two"),
        ("ping", "no-space"),
        ("message", "[DONE]"),
    ]
    assert events[2].id == "7"


@settings(max_examples=300, deadline=None)
@given(cuts=st.lists(st.integers(0, 10_000), max_size=40))
def test_sse_any_chunking_gives_the_same_events(cuts):
    assert decode_sse(split(SSE_BODY, cuts)) == decode_sse([SSE_BODY])


def test_sse_truncated_event_is_not_dispatched():
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"partial": tr') == []
    assert decoder.has_partial_event


FRAMES = b"".join(
    [
        eventstream.event("messageStart", b'{"role":"assistant"}'),
        eventstream.event("contentBlockDelta", json.dumps({"delta": {"text": "héllo 🙂"}}).encode()),
        eventstream.exception("throttlingException", b'{"message":"slow down"}'),
        eventstream.event("messageStop", b""),
    ]
)


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(0, 10_000), max_size=30))
def test_event_stream_any_chunking(cuts):
    decoder = EventStreamDecoder()
    messages = [m for piece in split(FRAMES, cuts) for m in decoder.feed(piece)]
    assert [m.headers[":message-type"] for m in messages] == ["event", "event", "exception", "event"]
    assert json.loads(messages[1].payload)["delta"]["text"] == "héllo 🙂"
    assert decoder.pending == 0


def test_event_stream_agrees_with_botocore():
    botocore_eventstream = pytest.importorskip("botocore.eventstream")
    buffer = botocore_eventstream.EventStreamBuffer()
    buffer.add_data(FRAMES)
    theirs = [(dict(m.headers), m.payload) for m in buffer]
    ours = [(m.headers, m.payload) for m in EventStreamDecoder().feed(FRAMES)]
    assert ours == theirs


@pytest.mark.parametrize("byte", [3, 9, 20, -1])
def test_event_stream_corruption_is_detected(byte):
    frame = bytearray(eventstream.event("contentBlockDelta", b'{"x":1}'))
    frame[byte] ^= 0x01
    with pytest.raises(EventStreamError, match="checksum|length"):
        EventStreamDecoder().feed(bytes(frame))


# --- SigV4: vectors from AWS's aws-sig-v4-test-suite ----------------------------------------------

VECTOR_TIME = dt.datetime(2015, 8, 30, 12, 36, 0, tzinfo=dt.UTC)
VECTOR_KEYS = {"access_key": "AKIDEXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}


@pytest.mark.parametrize(
    ("method", "url", "signature"),
    [
        ("GET", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        (
            "GET",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        ("POST", "https://example.amazonaws.com/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ],
    ids=["get-vanilla", "get-vanilla-query-order-key-case", "post-vanilla"],
)
def test_sigv4_published_vectors(method, url, signature):
    headers = sign(method, url, {}, b"", region="us-east-1", service="service", now=VECTOR_TIME, **VECTOR_KEYS)
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    )


def test_sigv4_canonical_request_matches_botocore_for_bedrock_paths():
    """Bedrock model ids contain ':' — the path is encoded twice for non-S3 services."""
    awsrequest = pytest.importorskip("botocore.awsrequest")
    auth = pytest.importorskip("botocore.auth")
    credentials = pytest.importorskip("botocore.credentials")
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-20250514-v1%3A0/converse"
    body = b'{"messages":[]}'
    headers = {"Content-Type": "application/json", "X-Amz-Date": "20250101T000000Z"}
    request = awsrequest.AWSRequest(method="POST", url=url, data=body, headers=headers)
    signer = auth.SigV4Auth(credentials.Credentials("AKID", "SECRET"), "bedrock", "us-east-1")
    request.context["timestamp"] = "20250101T000000Z"
    request.headers["host"] = "bedrock-runtime.us-east-1.amazonaws.com"
    theirs = signer.canonical_request(request)
    import hashlib

    ours, _ = canonical_request(
        "POST",
        url,
        {**headers, "host": "bedrock-runtime.us-east-1.amazonaws.com"},
        hashlib.sha256(body).hexdigest(),
        service="bedrock",
    )
    assert ours == theirs
    assert "%253A0" in ours


def test_openai_calls_reusing_index_zero_stay_separate():
    from codetether.providers.openai_chat import OpenAIStreamParser
    from codetether.providers.types import ToolCallEnd

    chunks = [
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "a", "function": {"name": "read_file", "arguments": '{"file_path":"x"}'}}
                        ]
                    }
                }
            ]
        },
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "b", "function": {"name": "glob", "arguments": '{"pattern":"*"}'}}
                        ]
                    }
                }
            ]
        },
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
    ]
    parser = OpenAIStreamParser("p", "m")
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    ends = [e.call for e in parser.feed(body) if isinstance(e, ToolCallEnd)]
    assert [(c.id, c.name, c.arguments) for c in ends] == [
        ("a", "read_file", '{"file_path":"x"}'),
        ("b", "glob", '{"pattern":"*"}'),
    ]
