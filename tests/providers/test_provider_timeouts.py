"""Per-provider timeouts and the retry budget, set in the config and enforced by every real client.

Each test writes its limits into a ``[providers.NAME]`` section, builds the provider the way the
runtime does (``provider_settings`` + ``create_provider``) and points it at the fake LLM server,
whose hangs and stalls outlast every limit: only a working limit ends the wait. The hint of each
timeout must name the exact setting to raise, and the fake counts the attempts that were made.
"""

import re
import socket
import typing

import pytest

from codetether.config.schema import Config, ProviderSection
from codetether.providers import (
    ProviderSettings,
    ProviderTimeout,
    RateLimitError,
    StreamInterrupted,
    TextDelta,
    collect,
    create_provider,
    provider_settings,
)
from codetether.providers.http import close_shared_session
from codetether.secrets import Keystore, SecretResolver
from tests.fakes.llm import Fault, Reply

from .conftest import KINDS, NAMES, TEST_KEY
from .test_faults import req

KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "google": "GOOGLE_API_KEY"}
KEY_VARS["bedrock"] = "AWS_BEARER_TOKEN_BEDROCK"
FOREVER = 600.0  # a hang or stall the fake ends only when it stops


def provider(server, fmt: str, tmp_path, **limits):
    """The ``fmt`` provider as the runtime builds it, from a config section holding ``limits``."""
    name = NAMES[fmt]
    base_url = f"{server.url}/v1" if fmt == "openai" else server.url
    config = Config(providers={name: ProviderSection(kind=KINDS[fmt], base_url=base_url, **limits)})
    resolver = SecretResolver(keystore=Keystore(tmp_path / "keystore"), environ={KEY_VARS[name]: TEST_KEY})
    return create_provider(provider_settings(name, config, resolver, environ={"AWS_REGION": "us-east-1"}))


def setting(fmt: str, key: str) -> str:
    return f"`[providers.{NAMES[fmt]}] {key}`"


async def test_a_hung_stream_times_out_at_first_byte_timeout_and_is_retried_max_retries_times(llm, fmt, tmp_path):
    llm.script(*[Fault("hang", seconds=FOREVER)] * 3)
    p = provider(llm, fmt, tmp_path, first_byte_timeout=0.3, idle_timeout=60.0, max_retries=2)
    with pytest.raises(ProviderTimeout) as err:
        await collect(p.stream(req()))
    assert err.value.setting == "first_byte_timeout"
    assert setting(fmt, "first_byte_timeout") in err.value.hint
    assert "no response within 0.3 s (gave up after 3 attempts)" in err.value.message
    assert len(llm.requests) == 3


async def test_a_hung_completion_times_out_at_first_byte_timeout(llm, fmt, tmp_path):
    llm.script(*[Fault("hang", seconds=FOREVER)] * 2)
    p = provider(llm, fmt, tmp_path, first_byte_timeout=0.3, max_retries=1)
    with pytest.raises(ProviderTimeout) as err:
        await p.complete(req())
    assert err.value.setting == "first_byte_timeout" and setting(fmt, "first_byte_timeout") in err.value.hint
    assert len(llm.requests) == 2


async def test_headers_then_silence_counts_against_first_byte_timeout_not_idle(llm, fmt, tmp_path):
    # The headers arrive at once, then nothing: the model has not started answering, so the
    # first-byte limit applies (not the idle one), and nothing was shown yet, so it is retried.
    llm.script(Fault("stall", after_events=0, seconds=FOREVER), Reply(text="second try"))
    p = provider(llm, fmt, tmp_path, first_byte_timeout=0.3, idle_timeout=FOREVER, max_retries=1)
    response = await collect(p.stream(req()))
    assert response.text == "second try" and len(llm.requests) == 2


async def test_a_stream_that_goes_silent_ends_at_idle_timeout_naming_it(llm, fmt, tmp_path):
    llm.script(Fault("stall", after_events=4, seconds=FOREVER, reply=Reply(text="partial answer then silence")))
    p = provider(llm, fmt, tmp_path, first_byte_timeout=FOREVER, idle_timeout=0.3, max_retries=3)
    seen = []
    with pytest.raises(StreamInterrupted) as err:
        async for event in p.stream(req()):
            seen.append(event)
    assert any(isinstance(e, TextDelta) for e in seen)
    assert "the stream sent nothing for 0.3 s" in err.value.message
    assert setting(fmt, "idle_timeout") in err.value.hint
    assert len(llm.requests) == 1  # the answer had started: never re-sent, whatever max_retries says


async def test_retry_budget_refuses_a_server_wait_longer_than_what_is_left(llm, fmt, tmp_path):
    llm.script(Fault("status", status=429, retry_after=30), Reply(text="too late to matter"))
    p = provider(llm, fmt, tmp_path, retry_budget=5.0, max_retries=4)
    with pytest.raises(RateLimitError) as err:
        await collect(p.stream(req()))
    assert setting(fmt, "retry_budget") in err.value.hint
    assert len(llm.requests) == 1
    llm.queue.clear()  # the reply nobody asked for


async def test_retry_budget_cuts_a_hung_attempt_short_of_first_byte_timeout(llm, fmt, tmp_path):
    llm.script(*[Fault("hang", seconds=FOREVER)] * 5)
    p = provider(llm, fmt, tmp_path, first_byte_timeout=FOREVER, retry_budget=0.5, max_retries=4)
    with pytest.raises(ProviderTimeout) as err:
        await collect(p.stream(req()))
    assert err.value.setting == "retry_budget"
    assert "no response within the 0.5 s retry budget" in err.value.message
    assert setting(fmt, "retry_budget") in err.value.hint
    assert len(llm.requests) == 1
    llm.queue.clear()


async def test_an_unanswered_connect_times_out_at_connect_timeout(fmt, tmp_path):
    # A listening socket that never accepts, with its backlog filled: the kernel drops further SYNs.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    host, port = server.getsockname()
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex((host, port))
        fillers.append(filler)
    config = Config(
        providers={
            "dead": ProviderSection(
                kind=KINDS[fmt], base_url=f"http://{host}:{port}", connect_timeout=0.3, max_retries=0
            )
        }
    )
    resolver = SecretResolver(keystore=Keystore(tmp_path / "keystore"), environ={"DEAD_API_KEY": TEST_KEY})
    settings = provider_settings("dead", config, resolver, environ={"AWS_REGION": "us-east-1"})
    try:
        with pytest.raises(ProviderTimeout) as err:
            await collect(create_provider(settings).stream(req()))
        assert err.value.setting == "connect_timeout" and "`[providers.dead] connect_timeout`" in err.value.hint
    finally:
        await close_shared_session()
        for s in (*fillers, server):
            s.close()


def test_config_describes_the_defaults_the_clients_use():
    defaults = ProviderSettings(name="x", kind="openai")
    actual = {
        "connect_timeout": defaults.timeouts.connect,
        "first_byte_timeout": defaults.timeouts.first_byte,
        "idle_timeout": defaults.timeouts.idle,
        "retry_budget": defaults.retry.budget,
        "max_retries": defaults.retry.max_retries,
    }
    hints = typing.get_type_hints(ProviderSection, include_extras=True)
    for key, value in actual.items():
        annotated = typing.get_args(hints[key])[0]  # Annotated[float, Meta] | None
        described = typing.get_args(annotated)[1].description
        assert re.search(rf"\(default {value:g}\)", described), (key, described)
