"""Turning an HTTP error response into the right ProviderError, whatever the vendor's body looks like."""

from collections.abc import Mapping
from typing import Any

import msgspec

from .errors import (
    AuthError,
    BadRequestError,
    ContextLengthError,
    MalformedResponse,
    ProviderError,
    RateLimitError,
    ServerError,
)
from .resilience import retry_after
from .transform import is_context_length_error


def error_message(body: bytes | str) -> str:
    """The human message from any vendor's error body, falling back to the raw text."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data: Any = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw.strip()[:500] or "(empty body)"
    if isinstance(data, list) and data:  # Gemini sometimes wraps the error in a list
        data = data[0]
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            for key in ("message", "Message", "msg"):
                if isinstance(error.get(key), str):
                    parts = [error[key]]
                    code = error.get("code") or error.get("type") or error.get("status")
                    if isinstance(code, str) and code not in error[key]:
                        parts.append(f"[{code}]")
                    return " ".join(parts)
        if isinstance(error, str):
            return error
    return raw.strip()[:500]


def classify(
    provider: str, status: int, body: bytes | str, headers: Mapping[str, str], key_origin: str | None
) -> ProviderError:
    message = error_message(body)
    if status in (401, 403):
        where = key_origin or "no key configured"
        return AuthError(
            provider,
            f"authentication failed ({status}) with the key from {where}: {message}",
            f"check the key, or replace it with `codetether auth login {provider}`",
            status=status,
        )
    if status == 429:
        return RateLimitError(provider, f"rate limited (429): {message}", retry_after=retry_after(headers))
    if status >= 500 or status == 408:
        return ServerError(
            provider, f"server error ({status}): {message}", status=status, retry_after=retry_after(headers)
        )
    if is_context_length_error(message):
        return ContextLengthError(
            provider,
            f"the conversation exceeds the model's context window: {message}",
            "compact or shorten it",
            status=status,
        )
    return BadRequestError(provider, f"request rejected ({status}): {message}", status=status)


def decode_json(provider: str, raw: bytes | str) -> Any:
    """Decode a response body or stream chunk; bad JSON is the API's fault and says so."""
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        raise MalformedResponse(provider, f"invalid JSON from the API: {exc} in {text[:200]!r}") from exc
