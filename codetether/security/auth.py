"""Mandatory bearer authentication for the server: the token, its comparison, and failure throttling.

The token is ``CODETETHER_AUTH_TOKEN`` when set. Otherwise one is made at start as HMAC-SHA256 over
the hostname and start time, keyed by 32 random bytes, written to a 0600 file in the data dir and
announced once (with the file's path, never the token itself in a log).
"""

import hashlib
import hmac
import math
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from ..paths import data_dir, ensure_private_dir
from ..secrets.redaction import register_secret

TOKEN_FILE = "auth-token"
QUERY_TOKEN_NAMES = frozenset({"token", "access_token", "auth", "authorization", "api_key", "apikey", "key"})


class TokenAuth:
    def __init__(self, token: str) -> None:
        if len(token) < 16:
            raise ValueError("an auth token must be at least 16 characters")
        self._expected = f"Bearer {token}".encode()
        register_secret(token)

    @classmethod
    def from_environment(cls, announce: Callable[[str], None], directory: Path | None = None) -> "TokenAuth":
        token = os.environ.get("CODETETHER_AUTH_TOKEN", "").strip()
        if token:
            return cls(token)
        key = secrets.token_bytes(32)
        token = hmac.new(key, f"{socket.gethostname()}:{time.time_ns()}".encode(), hashlib.sha256).hexdigest()
        path = ensure_private_dir(directory or data_dir()) / TOKEN_FILE
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
        os.replace(tmp, path)
        announce(f"generated an API token; it is in {path} (send it as 'Authorization: Bearer <token>')")
        return cls(token)

    def check(self, authorization: str | None) -> bool:
        """Constant-time: how much of a wrong token matched never shows in the timing."""
        try:
            given = (authorization or "").encode()
        except UnicodeEncodeError:  # header bytes that were not UTF-8 (lone surrogates): not the token
            return False
        return hmac.compare_digest(given, self._expected)


class FailureLimiter:
    """After ``limit`` failed attempts within ``window`` seconds, an address's failing attempts are answered
    "too many failures" for ``block`` seconds. Callers let the right token through regardless: the block is for
    failures only, so a guesser cannot lock the owner (who shares the address, e.g. 127.0.0.1) out."""

    def __init__(self, limit: int = 10, window: float = 60.0, block: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self.block = block
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def blocked(self, address: str) -> bool:
        until = self._blocked_until.get(address)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._blocked_until[address]
            return False
        return True

    def retry_after(self, address: str) -> int:
        """Whole seconds until ``address`` is no longer blocked (0 if it is not)."""
        until = self._blocked_until.get(address)
        return 0 if until is None else max(0, math.ceil(until - time.monotonic()))

    def failed(self, address: str) -> None:
        now = time.monotonic()
        attempts = self._failures.setdefault(address, deque())
        attempts.append(now)
        while attempts and now - attempts[0] > self.window:
            attempts.popleft()
        if len(attempts) >= self.limit:
            self._blocked_until[address] = now + self.block
            attempts.clear()
        if len(self._failures) > 10_000:  # a flood of addresses must not grow this without bound
            self._failures = {a: q for a, q in self._failures.items() if q and now - q[-1] <= self.window}
