"""Retries with exponential backoff and full jitter, honouring what the server says about waiting."""

import email.utils
import random
import re
import time
from collections.abc import Mapping

import msgspec

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


class RetryPolicy(msgspec.Struct, kw_only=True, frozen=True):
    """How often, and for how long in all, one request is tried again.

    ``budget`` caps the seconds every attempt and every wait between them may take together, until
    the answer starts: without it a hung provider costs the per-attempt timeout times the retry count.
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    budget: float = 180.0

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based).

        A server-given wait is obeyed (capped at ``max_delay``); otherwise "full jitter" backoff:
        uniform in [0, min(max_delay, base * 2**attempt)], which spreads a crowd of retrying
        clients instead of having them return in lockstep.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return (rng or random).uniform(0, ceiling)


def _duration(text: str) -> float | None:
    """OpenAI's reset format: '1s', '6m0s', '20ms', '1h2m3.5s'."""
    total, matched = 0.0, False
    for value, unit in _DURATION_PART.findall(text):
        matched = True
        total += float(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total if matched else None


def _seconds(value: str, now: float) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    duration = _duration(value)
    if duration is not None:
        return duration
    try:  # HTTP-date (Retry-After) or RFC 3339 (anthropic-ratelimit-*-reset)
        parsed = email.utils.parsedate_to_datetime(value)
        return parsed.timestamp() - now
    except (TypeError, ValueError):
        pass
    try:
        from datetime import datetime

        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - now
    except ValueError:
        return None


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait a response asks for: retry-after-ms, Retry-After, then rate-limit reset headers."""
    now = time.time() if now is None else now
    lowered = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return float(lowered["retry-after-ms"]) / 1000
        except ValueError:
            pass
    if "retry-after" in lowered:
        seconds = _seconds(lowered["retry-after"], now)
        if seconds is not None:
            return max(seconds, 0.0)
    # Only consult reset headers for a budget that is actually exhausted.
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        # OpenAI style: x-ratelimit-remaining-requests; Anthropic style: anthropic-ratelimit-requests-remaining.
        for remaining_name, reset_name in (
            (f"x-ratelimit-remaining-{kind}", f"x-ratelimit-reset-{kind}"),
            (f"anthropic-ratelimit-{kind}-remaining", f"anthropic-ratelimit-{kind}-reset"),
        ):
            remaining, reset = lowered.get(remaining_name), lowered.get(reset_name)
            if reset is not None and remaining is not None and remaining.strip() in {"0", "0.0"}:
                seconds = _seconds(reset, now)
                if seconds is not None:
                    return max(seconds, 0.0)
    return None
