"""The waits of one model request, each with its own limit, and timeouts that name the setting to change.

A request waits three times, and each wait going wrong means something different: connecting (the
host is unreachable), the first byte (the model has not started answering) and the silence between
two stream chunks (the answer stalled). The retry budget (``RetryPolicy.budget``) caps everything one
request may spend before its answer starts, attempts and backoff together. Every limit is a setting
under ``[providers.NAME]``; a timeout's hint names that exact key, so "raise the timeout" is actionable.
"""

import time

import msgspec

from .errors import ProviderTimeout

# Setting keys under [providers.NAME], by what they limit.
CONNECT, FIRST_BYTE, IDLE, BUDGET = "connect_timeout", "first_byte_timeout", "idle_timeout", "retry_budget"


class Timeouts(msgspec.Struct, kw_only=True, frozen=True):
    """Seconds each wait of one attempt may last."""

    connect: float = 10.0
    # Covers the whole answer of a non-streamed request, whose headers come only once it is written.
    first_byte: float = 120.0
    # Long enough for a reasoning model's pause between two chunks; a stall costs this, not minutes.
    idle: float = 90.0


def setting(provider: str, key: str) -> str:
    return f"`[providers.{provider}] {key}`"


class Budget:
    """The deadline of one request's retry budget, on the monotonic clock."""

    __slots__ = ("deadline", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


def timed_out(provider: str, key: str, seconds: float) -> ProviderTimeout:
    """The timeout of one wait, with a hint naming the setting that limited it."""
    what = {
        CONNECT: f"could not connect within {seconds:g} s",
        FIRST_BYTE: f"no response within {seconds:g} s",
        IDLE: f"the stream sent nothing for {seconds:g} s",
        BUDGET: f"no response within the {seconds:g} s retry budget",
    }[key]
    hint = f"try again later, or raise {setting(provider, key)} (seconds) in the config"
    if key == CONNECT:
        hint = f"check the network and the provider's URL, or raise {setting(provider, key)} (seconds) in the config"
    timeout = ProviderTimeout(provider, what, hint)
    timeout.setting = key
    return timeout
