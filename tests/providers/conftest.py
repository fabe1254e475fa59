"""A fake LLM server per test, and providers of each wire format pointed at it."""

import pytest

from codetether.providers import ProviderSettings, RetryPolicy, Timeouts, create_provider
from codetether.providers.http import close_shared_session
from tests.fakes.llm import FakeLLM

FORMATS = ["openai", "anthropic", "gemini", "bedrock"]
KINDS = {"openai": "openai", "anthropic": "anthropic", "gemini": "google", "bedrock": "bedrock"}
NAMES = {"openai": "openai", "anthropic": "anthropic", "gemini": "google", "bedrock": "bedrock"}
TEST_KEY = "sk-test-fake-0123456789abcdefghij"


@pytest.fixture
async def llm():
    server = await FakeLLM().start()
    yield server
    await close_shared_session()
    await server.stop()
    assert server.violations == [], f"conversation invariants violated: {server.violations}"


def make_provider(server: FakeLLM, fmt: str, *, retries: int = 3, timeout: float = 10.0, **extra):
    """A provider of ``fmt`` at the fake server; ``timeout`` bounds each wait (connect, first byte, idle)."""
    base = f"{server.url}/v1" if fmt == "openai" else server.url
    settings = ProviderSettings(
        name=NAMES[fmt],
        kind=KINDS[fmt],
        base_url=base,
        api_key=TEST_KEY,
        key_origin="environment variable TEST_KEY",
        retry=RetryPolicy(max_retries=retries, base_delay=0.01, max_delay=0.2),
        timeouts=Timeouts(connect=timeout, first_byte=timeout, idle=timeout),
        region="us-east-1",
        **extra,
    )
    return create_provider(settings)


@pytest.fixture(params=FORMATS)
def fmt(request) -> str:
    return request.param
