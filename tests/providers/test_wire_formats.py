"""Each wire format end to end against the fake server, streaming and not."""

import json

import pytest

from codetether.providers import (
    Done,
    Message,
    Request,
    TextDelta,
    ThinkingPart,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolSpec,
    UsageEvent,
    collect,
)
from tests.fakes.llm import Call, Reply

from .conftest import TEST_KEY, make_provider

READ_FILE = ToolSpec(
    name="read_file",
    description="Read a file",
    parameters={
        "type": "object",
        "properties": {"file_path": {"type": "string"}},
        "required": ["file_path"],
        "additionalProperties": False,
    },
)


def request(*messages: Message, model: str = "fake-large", tools=()) -> Request:
    return Request(model=model, messages=list(messages), tools=list(tools), max_tokens=256)


async def events_of(provider, req):
    return [e async for e in provider.stream(req)]


async def test_streamed_text_survives_bytes_split_anywhere(llm, fmt):
    text = "Grüße 🙂 — naïve café, 日本語テキスト and plain ascii"
    llm.byte_chunk = 1  # every multi-byte character and every line ending split across reads
    llm.script(Reply(text=text, chunk=2))
    provider = make_provider(llm, fmt)
    events = await events_of(provider, request(Message.user("hi")))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == text
    assert sum(isinstance(e, TextDelta) for e in events) > 5
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "end_turn"


async def test_tool_calls_split_across_many_chunks(llm, fmt):
    args_a = {"file_path": "src/ünïcode/файл.py", "nested": {"list": [1, 2, 3], "flag": True}}
    args_b = {"file_path": "README.md"}
    llm.script(Reply(text="Reading both.", calls=[Call("read_file", args_a), Call("read_file", args_b)], chunk=1))
    provider = make_provider(llm, fmt)
    events = await events_of(provider, request(Message.user("read"), tools=[READ_FILE]))
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    ends = [e for e in events if isinstance(e, ToolCallEnd)]
    assert [s.name for s in starts] == ["read_file", "read_file"]
    assert [json.loads(e.call.arguments) for e in ends] == [args_a, args_b]
    assert ends[0].call.id != ends[1].call.id
    if fmt != "gemini":  # Gemini sends each call whole; the others stream the arguments
        assert len(deltas) > 20
    assert events[-1].stop_reason == "tool_use"


async def test_collect_builds_the_response_with_usage_and_cost(llm, fmt):
    llm.script(Reply(text="answer", calls=[Call("read_file", {"file_path": "a"})], input_tokens=1000, output_tokens=50))
    provider = make_provider(llm, fmt)
    response = await collect(provider.stream(request(Message.user("q"), model=_priced_model(fmt), tools=[READ_FILE])))
    assert response.text == "answer"
    assert response.message.tool_calls[0].parsed_arguments() == {"file_path": "a"}
    assert (response.usage.input_tokens, response.usage.output_tokens) == (1000, 50)
    assert response.usage.cost_usd == pytest.approx(_expected_cost(fmt, 1000, 50))


async def test_non_streaming_complete(llm, fmt):
    llm.script(Reply(text="plain answer", thinking="let me think", calls=[Call("read_file", {"file_path": "x"})]))
    provider = make_provider(llm, fmt)
    response = await provider.complete(request(Message.user("q"), model=_priced_model(fmt), tools=[READ_FILE]))
    assert response.text == "plain answer"
    assert response.stop_reason == "tool_use"
    assert response.message.tool_calls[0].name == "read_file"
    assert any(isinstance(p, ThinkingPart) and p.text == "let me think" for p in response.message.content)
    assert response.usage.cost_usd is not None
    assert llm.requests[-1].stream is False


async def test_thinking_is_streamed(llm, fmt):
    llm.script(Reply(thinking="step one, step two", text="done"))
    response = await collect(make_provider(llm, fmt).stream(request(Message.user("q"))))
    thinking = [p for p in response.message.content if isinstance(p, ThinkingPart)]
    assert thinking and thinking[0].text == "step one, step two"
    if fmt == "anthropic":
        assert thinking[0].signature == "sig-fake"


async def test_max_tokens_stop_reason(llm, fmt):
    llm.script(Reply(text="cut sh", stop="max_tokens"))
    events = await events_of(make_provider(llm, fmt), request(Message.user("q")))
    assert events[-1].stop_reason == "max_tokens"


async def test_multi_turn_with_tool_results_keeps_invariants(llm, fmt):
    """A whole agent-style exchange: call, result (one an error), follow-up; the server checks pairing."""
    calls = [Call("read_file", {"file_path": "a.py"}), Call("read_file", {"file_path": "missing.py"})]
    llm.script(Reply(calls=calls), Reply(text="a.py defines main"))
    provider = make_provider(llm, fmt)
    history = [Message.system("You are terse."), Message.user("What is in a.py?")]
    first = await collect(provider.stream(request(*history, tools=[READ_FILE])))
    history.append(first.message)
    history.append(Message.tool_result(first.message.tool_calls[0], "def main(): ..."))
    history.append(Message.tool_result(first.message.tool_calls[1], "file not found", is_error=True))
    second = await collect(provider.stream(request(*history, tools=[READ_FILE])))
    assert second.text == "a.py defines main"
    body = llm.requests[-1].body
    if fmt == "anthropic":
        results = body["messages"][-1]["content"]
        assert [b["type"] for b in results] == ["tool_result", "tool_result"] and results[1]["is_error"] is True
        assert body["system"] == "You are terse."
    if fmt == "gemini":
        assert "additionalProperties" not in json.dumps(body["tools"])  # stripped for Gemini
        assert body["systemInstruction"]["parts"][0]["text"] == "You are terse."
    if fmt == "openai":
        assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool", "tool"]


async def test_orphan_tool_result_is_caught_by_the_server(llm, fmt):
    from codetether.providers import BadRequestError

    orphan = ToolCall(id="call_never_made", name="read_file", arguments="{}")
    provider = make_provider(llm, fmt)
    messages = [Message.user("hi"), Message.assistant("ok"), Message.tool_result(orphan, "x")]
    with pytest.raises(BadRequestError, match="invariant violated"):
        await collect(provider.stream(request(*messages)))
    assert llm.violations
    llm.violations.clear()


async def test_auth_headers_per_format(llm, fmt):
    llm.script(Reply(text="ok"))
    await collect(make_provider(llm, fmt).stream(request(Message.user("q"))))
    recorded = llm.requests[-1]
    headers = {k.lower(): v for k, v in recorded.headers.items()}
    if fmt == "openai":
        assert headers["authorization"] == f"Bearer {TEST_KEY}"
    elif fmt == "anthropic":
        assert headers["x-api-key"] == TEST_KEY and headers["anthropic-version"] == "2023-06-01"
    elif fmt == "gemini":
        assert headers["x-goog-api-key"] == TEST_KEY and TEST_KEY not in recorded.path
    else:
        assert headers["authorization"] == f"Bearer {TEST_KEY}"
    assert headers["user-agent"].startswith("codetether/")


def _priced_model(fmt: str) -> str:
    return {
        "openai": "gpt-5",
        "anthropic": "claude-sonnet-4-20250514",
        "gemini": "gemini-2.5-pro",
        "bedrock": "anthropic.claude-sonnet-4-20250514-v1:0",
    }[fmt]


def _expected_cost(fmt: str, tokens_in: int, tokens_out: int) -> float:
    prices = {"openai": (1.25, 10.0), "anthropic": (3.0, 15.0), "gemini": (1.25, 10.0), "bedrock": (3.0, 15.0)}[fmt]
    return (tokens_in * prices[0] + tokens_out * prices[1]) / 1_000_000


async def test_usage_event_precedes_done(llm, fmt):
    llm.script(Reply(text="x"))
    events = await events_of(make_provider(llm, fmt), request(Message.user("q")))
    kinds = [type(e) for e in events]
    assert UsageEvent in kinds and kinds.index(UsageEvent) < kinds.index(Done)


async def test_images_reach_each_format_in_its_own_shape(llm, fmt):
    from codetether.providers import ImagePart

    image = ImagePart(media_type="image/png", data="iVBORw0KGgo=")
    llm.script(Reply(text="a cat"))
    await collect(make_provider(llm, fmt).stream(request(Message.user("what is this?", images=[image]))))
    content = json.dumps(llm.requests[-1].body)
    expected = {
        "openai": '"url": "data:image/png;base64,iVBORw0KGgo="',
        "anthropic": '"source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}',
        "gemini": '"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}',
        "bedrock": '"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}',
    }[fmt]
    assert expected in content


async def test_broken_tool_call_json_in_history_does_not_break_requests(llm, fmt):
    """A reply cut off mid-call leaves invalid JSON; the next request must still be sendable."""
    broken = ToolCall(id="call_cut", name="read_file", arguments='{"file_path": "a.')
    llm.script(Reply(text="recovered"))
    messages = [
        Message.user("go"),
        Message.assistant("", [broken]),
        Message.tool_result(broken, "invalid", is_error=True),
    ]
    response = await collect(make_provider(llm, fmt).stream(request(*messages, tools=[READ_FILE])))
    assert response.text == "recovered"
