"""The cognition summary a worker adds to its heartbeats, read from a local cognition API.

Five variables, as the original worker reads them:
``CODETETHER_WORKER_COGNITION_SHARE_ENABLED`` (default true: share), ``..._SOURCE_URL`` (default
``http://127.0.0.1:4096``; ``GET /v1/cognition/status`` and ``/v1/cognition/snapshots/latest``),
``..._INCLUDE_THOUGHTS`` (default true: send the latest thought's text, not only the status),
``..._THOUGHT_MAX_CHARS`` (default 480, at least 120: the thought is cut to this) and
``..._TIMEOUT_MS`` (default 2500, at least 250: a slow source never delays the heartbeat longer).
A source that is down or answers nonsense leaves the summary out; the heartbeat still goes.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
import msgspec

from .types import CognitionSummary

log = logging.getLogger(__name__)
PREFIX = "CODETETHER_WORKER_COGNITION_"


class _Status(msgspec.Struct):
    running: bool = False
    last_tick_at: str | None = None
    active_persona_count: int = 0
    events_buffered: int = 0
    snapshots_buffered: int = 0


class _Snapshot(msgspec.Struct):
    generated_at: str | None = None
    summary: str = ""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _number(value: str | None, default: int, minimum: int) -> int:
    try:
        return max(minimum, int(value)) if value and value.strip() else default
    except ValueError:
        log.warning("ignoring %r: not a whole number (using %d)", value, default)
        return default


@dataclass(frozen=True)
class CognitionSettings:
    enabled: bool = True
    source_url: str = "http://127.0.0.1:4096"
    include_thoughts: bool = True
    thought_max_chars: int = 480
    timeout_ms: int = 2500

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "CognitionSettings":
        return cls(
            enabled=_flag(environ.get(PREFIX + "SHARE_ENABLED"), True),
            source_url=(environ.get(PREFIX + "SOURCE_URL") or cls.source_url).strip().rstrip("/"),
            include_thoughts=_flag(environ.get(PREFIX + "INCLUDE_THOUGHTS"), True),
            thought_max_chars=_number(environ.get(PREFIX + "THOUGHT_MAX_CHARS"), 480, 120),
            timeout_ms=_number(environ.get(PREFIX + "TIMEOUT_MS"), 2500, 250),
        )


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def read_summary(settings: CognitionSettings, session: aiohttp.ClientSession) -> CognitionSummary | None:
    """The summary to share, or ``None`` (sharing off, or the source unreachable or malformed)."""
    if not settings.enabled:
        return None
    timeout = aiohttp.ClientTimeout(total=settings.timeout_ms / 1000)
    try:
        async with session.get(f"{settings.source_url}/v1/cognition/status", timeout=timeout) as response:
            if response.status != 200:
                return None
            status = msgspec.json.decode(await response.read(), type=_Status)
        summary = CognitionSummary(
            running=status.running,
            last_tick_at=status.last_tick_at,
            active_persona_count=status.active_persona_count,
            events_buffered=status.events_buffered,
            snapshots_buffered=status.snapshots_buffered,
        )
        if settings.include_thoughts:
            url = f"{settings.source_url}/v1/cognition/snapshots/latest"
            async with session.get(url, timeout=timeout) as response:
                if response.status == 200:
                    snapshot = msgspec.json.decode(await response.read(), type=_Snapshot)
                    summary.latest_snapshot_at = snapshot.generated_at
                    summary.latest_thought = truncate(snapshot.summary, settings.thought_max_chars)
        return summary
    except (aiohttp.ClientError, TimeoutError, msgspec.DecodeError) as exc:
        log.debug("cognition source %s: %s", settings.source_url, exc)
        return None
