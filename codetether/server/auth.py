"""aiohttp middleware: every route needs the bearer token (except health and the public agent card),
tokens in query strings are refused, repeated failures are throttled, and every call is audited."""

import time
from collections.abc import Awaitable, Callable

import msgspec
from aiohttp import web

from ..security.audit_writer import AuditWriter
from ..security.auth import QUERY_TOKEN_NAMES, FailureLimiter, TokenAuth

PUBLIC_PATHS = frozenset({"/health", "/.well-known/agent-card.json", "/.well-known/agent.json"})


def _error(status: int, message: str, **headers: str) -> web.Response:
    body = msgspec.json.encode({"error": message}).decode()
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


def auth_middleware(
    auth: TokenAuth, audit: AuditWriter, limiter: FailureLimiter | None = None
) -> Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable[web.StreamResponse]]:
    limiter = limiter or FailureLimiter()

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        started = time.perf_counter()
        address = request.remote or "unknown"
        resource = f"{request.method} {request.path}"

        async def record(outcome: str, status: int) -> None:
            audit.record(
                f"http:{address}",
                "api.call",
                resource,
                outcome,
                detail=str(status),
                duration_ms=(time.perf_counter() - started) * 1000,
            )

        if QUERY_TOKEN_NAMES & {name.lower() for name in request.query}:
            await record("denied", 400)
            return _error(400, "tokens in the query string are refused; send 'Authorization: Bearer <token>'")
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        if limiter.blocked(address):
            await record("denied", 429)
            return _error(429, "too many failed authentications from this address; try later", **{"Retry-After": "300"})
        if not auth.check(request.headers.get("Authorization")):
            limiter.failed(address)
            await record("denied", 401)
            return _error(401, "missing or wrong bearer token", **{"WWW-Authenticate": 'Bearer realm="codetether"'})
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            await record("error", exc.status)
            raise
        except Exception:
            await record("error", 500)  # aiohttp answers 500; the call is still on the record
            raise
        await record("ok" if response.status < 400 else "error", response.status)
        return response

    return middleware
