"""Every injected fault, for every wire format: retries, clear errors, nothing duplicated."""

import logging

import pytest

from codetether.providers import (
    AuthError,
    ContextLengthError,
    MalformedResponse,
    Message,
    ProviderTimeout,
    RateLimitError,
    Request,
    ServerError,
    StreamInterrupted,
    TextDelta,
    collect,
)
from tests.fakes.llm import Fault, Reply

from .conftest import TEST_KEY, make_provider


def req() -> Request:
    return Request(model="fake-large", messages=[Message.user("hello")])


async def test_429_with_retry_after_is_retried_after_the_server_given_wait(llm, fmt, caplog):
    llm.script(Fault("status", status=429, retry_after=0.15), Reply(text="after the wait"))
    with caplog.at_level(logging.WARNING, logger="codetether.providers"):
        response = await collect(make_provider(llm, fmt).stream(req()))
    assert response.text == "after the wait"
    assert len(llm.requests) == 2
    # The wait the provider chose (its retry notice's last argument) is the server's, not a jittered backoff.
    waits = [record.args[-1] for record in caplog.records if "retry 1/" in record.getMessage()]
    assert waits == [0.15]


async def test_500_then_success(llm, fmt):
    llm.script(Fault("status", status=500), Fault("status", status=503), Reply(text="third time"))
    response = await make_provider(llm, fmt).complete(req())
    assert response.text == "third time" and len(llm.requests) == 3


async def test_retries_run_out(llm, fmt):
    llm.script(*[Fault("status", status=429, retry_after=0)] * 3)
    with pytest.raises(RateLimitError) as err:
        await collect(make_provider(llm, fmt, retries=2).stream(req()))
    assert len(llm.requests) == 3 and err.value.provider in err.value.message


async def test_server_error_exhausted(llm, fmt):
    llm.script(Fault("status", status=500), Fault("status", status=500))
    with pytest.raises(ServerError, match="server error"):
        await make_provider(llm, fmt, retries=1).complete(req())


async def test_context_length_is_its_own_error_and_not_retried(llm, fmt):
    llm.script(Fault("context_length"))
    with pytest.raises(ContextLengthError):
        await collect(make_provider(llm, fmt).stream(req()))
    assert len(llm.requests) == 1


async def test_auth_error_names_provider_and_key_origin_never_the_key(llm, fmt):
    llm.script(Fault("status", status=401 if fmt != "bedrock" else 403))
    with pytest.raises(AuthError) as err:
        await collect(make_provider(llm, fmt).stream(req()))
    text = str(err.value)
    assert "environment variable TEST_KEY" in text and TEST_KEY not in text
    assert len(llm.requests) == 1


async def test_hang_times_out(llm, fmt):
    llm.script(Fault("hang", seconds=1.5))
    # The server answers after 1.5 s; only a working 0.3 s timeout turns that into an error.
    with pytest.raises(ProviderTimeout, match="no response within"):
        await collect(make_provider(llm, fmt, retries=0, timeout=0.3).stream(req()))


async def test_reset_mid_stream_keeps_partial_output_and_is_not_retried(llm, fmt):
    llm.script(Fault("reset", after_events=4, reply=Reply(text="partial answer that will be cut", chunk=2)))
    provider = make_provider(llm, fmt)
    seen = []
    with pytest.raises(StreamInterrupted, match="broke after|ended before"):
        async for event in provider.stream(req()):
            seen.append(event)
    assert any(isinstance(e, TextDelta) for e in seen)
    assert len(llm.requests) == 1  # never re-sent: the caller already showed part of the answer


async def test_reset_before_any_output_is_retried(llm, fmt):
    llm.script(Fault("reset", after_events=0), Reply(text="second try"))
    response = await collect(make_provider(llm, fmt).stream(req()))
    assert response.text == "second try" and len(llm.requests) == 2


async def test_malformed_chunk(llm, fmt):
    llm.script(Fault("malformed", after_events=2))
    with pytest.raises(MalformedResponse, match="invalid JSON|corrupt event stream"):
        await collect(make_provider(llm, fmt).stream(req()))
    assert len(llm.requests) == 1


async def test_dead_provider_is_a_clear_connection_error(fmt):
    import socket

    from codetether.providers import ConnectionFailed, ProviderSettings, RetryPolicy, create_provider
    from codetether.providers.http import close_shared_session

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    kinds = {"openai": "openai", "anthropic": "anthropic", "gemini": "google", "bedrock": "bedrock"}
    settings = ProviderSettings(
        name=fmt,
        kind=kinds[fmt],
        base_url=f"http://127.0.0.1:{port}",
        api_key="k" * 20,
        retry=RetryPolicy(max_retries=1, base_delay=0.01),
        region="us-east-1",
    )
    try:
        with pytest.raises(ConnectionFailed, match="connection failed"):
            await collect(create_provider(settings).stream(req()))
    finally:
        await close_shared_session()


async def test_a_key_echoed_in_an_error_body_is_masked_in_the_error(llm, fmt):
    from codetether.providers import ProviderSettings, create_provider
    from codetether.secrets.redaction import MASK

    from .conftest import KINDS, NAMES

    key = f"plain-{fmt}-key-9d2f7a4c1e8b"  # no well-known shape: only the provider's own key can mask it
    base = f"{llm.url}/v1" if fmt == "openai" else llm.url
    settings = ProviderSettings(name=NAMES[fmt], kind=KINDS[fmt], base_url=base, api_key=key, region="us-east-1")
    llm.script(Fault("status", status=401 if fmt != "bedrock" else 403, echo_key=True))
    with pytest.raises(AuthError) as err:
        await collect(create_provider(settings).stream(req()))
    assert f"Incorrect API key provided: {MASK}" in str(err.value) and key not in str(err.value)
    assert key not in repr(err.value.args)
