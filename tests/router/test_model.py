"""The router and the llama-cpp provider on the real Gemma 3 270M GGUF: grammar-bound, schema-valid calls."""

import json

import jsonschema
import pytest

from codetether.providers import Message, ProviderSettings, Request, create_provider
from codetether.providers.llama_calls import ChatWrap, ToolCaller, grammar_for
from codetether.providers.types import Done, TextDelta, ToolCallEnd, ToolCallStart
from codetether.router.router import RouterSettings, ToolRouter

from .conftest import needs_llama

pytestmark = needs_llama


def assert_valid(call, specs):
    assert call is not None
    spec = next(s for s in specs if s.name == call.name)  # an offered tool
    jsonschema.Draft202012Validator(spec.parameters).validate(json.loads(call.arguments))


@pytest.fixture(scope="module")
def model(gguf):
    from codetether.providers.llama_local import load_model

    return load_model(str(gguf), 4096)


def test_grammar_bound_inference_yields_a_schema_valid_call(model, specs):
    llm, lock = model
    grammar_for(specs)  # builds: every built-in tool's schema converts to GBNF
    caller = ToolCaller(llm, lock, arch="gemma3")
    assert caller.wrap.opening == "<start_of_turn>user\n"  # no template in this GGUF: Gemma's markers
    for text in ("Let me read the file greet.py first.", "I'll run the test suite with pytest."):
        call = caller.call(specs, text, temperature=0)
        assert_valid(call, specs)
        assert caller.last_usage["completion_tokens"] > 0  # the model really generated it


def test_the_cached_prefix_gives_the_same_call(model, specs):
    llm, lock = model
    cached = ToolCaller(llm, lock)
    uncached = ToolCaller(llm, lock, cache_prefix=False)
    text = "Let me list what is in the src directory."
    first = cached.call(specs, text, temperature=0)
    assert len(cached._states) == 1  # the tool-list prefix's KV state was saved
    llm.reset()
    llm.eval(llm.tokenize(b"something else entirely used the context meanwhile"))
    again = cached.call(specs, text, temperature=0)  # restored from the saved state
    baseline = uncached.call(specs, text, temperature=0)  # evaluated from scratch
    assert_valid(first, specs)
    assert (again.name, again.arguments) == (first.name, first.arguments) == (baseline.name, baseline.arguments)


def test_chat_template_from_metadata(model):
    llm, _ = model
    gemma = ChatWrap.for_model(llm)
    assert gemma.closing == "<end_of_turn>\n<start_of_turn>model\n"

    class WithTemplate:  # the GGUF keys a chat-tuned model carries, read the way llama-cpp-python exposes them
        metadata = {
            "tokenizer.chat_template": "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}</s>{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}"
        }

        def token_eos(self):
            return llm.token_eos()

        def token_bos(self):
            return llm.token_bos()

        def detokenize(self, tokens, special=False):
            return llm.detokenize(tokens, special=special)

    wrap = ChatWrap.for_model(WithTemplate())
    assert (wrap.opening, wrap.closing) == ("<|user|>", "</s><|assistant|>")


async def test_router_model_turns_a_described_action_into_a_call(gguf, specs):
    router = ToolRouter(RouterSettings(enabled=True, model_path=str(gguf), temperature=0))
    calls = await router.route("I'll open greet.py to see what it returns.", specs)
    assert len(calls) == 1
    assert_valid(calls[0], specs)


async def test_provider_calls_a_tool_then_answers(gguf, specs):
    provider = create_provider(ProviderSettings(name="llama-cpp", kind="llama-cpp", model_path=str(gguf)))
    request = Request(
        model="gemma-3-270m",
        messages=[Message.system("You are a coding agent."), Message.user("show me what is in greet.py")],
        tools=specs,
        temperature=0,
    )
    events = [e async for e in provider.stream(request)]
    (start,) = [e for e in events if isinstance(e, ToolCallStart)]
    (end,) = [e for e in events if isinstance(e, ToolCallEnd)]
    assert start.id == end.call.id and start.name == end.call.name
    assert_valid(end.call, specs)
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "tool_use"
    # After the tool result, the model answers in text (no second call).
    answered = Request(
        model="gemma-3-270m",
        messages=[
            *request.messages,
            Message.assistant("", [end.call]),
            Message.tool_result(end.call, "def greet(name):\n    return 'hello ' + name\n"),
        ],
        tools=specs,
        max_tokens=24,
    )
    events = [e async for e in provider.stream(answered)]
    assert any(isinstance(e, TextDelta) for e in events)
    assert not any(isinstance(e, ToolCallEnd) for e in events)


async def test_provider_answers_in_text_when_no_call_can_be_made(gguf, model):
    from codetether.providers.types import ToolSpec

    remote = ToolSpec(
        name="fetch_remote",
        description="A tool whose schema points elsewhere.",
        parameters={"type": "object", "properties": {"x": {"$ref": "https://example.invalid/schema.json"}}},
    )
    provider = create_provider(ProviderSettings(name="llama-cpp", kind="llama-cpp", model_path=str(gguf)))
    request = Request(model="gemma-3-270m", messages=[Message.user("fetch it")], tools=[remote], max_tokens=8)
    events = [e async for e in provider.stream(request)]
    assert any(isinstance(e, TextDelta) for e in events) and not any(isinstance(e, ToolCallEnd) for e in events)

    llm, lock = model
    many = [
        ToolSpec(
            name=f"tool_{i}",
            description=" ".join(f"w{i}x{j}" for j in range(40)),  # ~100 tokens of the 120-char line each
            parameters={"type": "object", "properties": {}},
        )
        for i in range(120)
    ]
    assert ToolCaller(llm, lock).call(many, "use one") is None  # the prompt would not fit the context
