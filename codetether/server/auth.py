"""aiohttp middleware: every route needs the bearer token (except health and the public agent card),
tokens in query strings are refused, repeated failures are throttled, and every call is audited.

Only failing attempts are throttled: a request with the right token always passes, even from an
address that is blocked, since every local client shares 127.0.0.1 and ten bad tokens from one of
them must not lock the owner out. Guessing stays hopeless without the block (tokens are at least
16 characters, generated ones 256 bits); the block caps what failing callers cost the server.
Reads of the audit log are recorded as ``audit.read``, which the audit routes leave out of what they
return, so a reader paging to the end reaches an empty page instead of its own reads.
"""

import time
from collections.abc import Awaitable, Callable

import msgspec
from aiohttp import web

from ..a2a.domain.context import CallContext, Transport
from ..security.audit_writer import AuditWriter
from ..security.auth import QUERY_TOKEN_NAMES, FailureLimiter, TokenAuth
from ..security.principal import Authenticator, Principal, as_authenticator

# Where the middleware leaves the caller's principal on the request (a typed key where aiohttp has them).
PRINCIPAL = web.RequestKey("principal", Principal) if hasattr(web, "RequestKey") else "principal"
PUBLIC_PATHS = frozenset({"/health", "/.well-known/agent-card.json", "/.well-known/agent.json"})
AUDIT_PREFIX = "/v1/audit/"
# What a non-admin principal (a worker's token) may call: A2A and the worker routes. The audit trail,
# the bus, Kubernetes and cognition routes are the admin's.
SCOPED_PATHS = frozenset({"/", "/a2a"})
SCOPED_PREFIXES = ("/a2a/rest/", "/v1/agent/", "/v1/worker/")
AUDIT_READ = "audit.read"


def _error(status: int, message: str, **headers: str) -> web.Response:
    body = msgspec.json.encode({"error": message}).decode()
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return web.Response(status=status, text=body, content_type="application/json", headers=named)


def _is_text(value: str | None) -> bool:
    """aiohttp hands header bytes that are not UTF-8 over as lone surrogates; they cannot be a token."""
    try:
        (value or "").encode()
    except UnicodeEncodeError:
        return False
    return True


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller. A route mounted without the auth middleware fails closed here."""
    principal = request.get(PRINCIPAL)
    if principal is None:
        raise web.HTTPUnauthorized(text='{"error": "no authenticated caller"}', content_type="application/json")
    return principal


def call_context(request: web.Request, version: str, transport: Transport) -> CallContext:
    return CallContext(principal=principal_of(request), version=version, transport=transport)


def auth_middleware(
    auth: TokenAuth | Authenticator, audit: AuditWriter, limiter: FailureLimiter | None = None
) -> Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable[web.StreamResponse]]:
    limiter = limiter or FailureLimiter()
    authenticator = as_authenticator(auth)

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        started = time.perf_counter()
        address = request.remote or "unknown"
        resource = f"{request.method} {request.path}"

        def refuse(status: int, message: str, **headers: str) -> web.Response:
            duration_ms = (time.perf_counter() - started) * 1000
            audit.refused(address, f"http:{address}", "api.call", resource, str(status), duration_ms)
            return _error(status, message, **headers)

        if QUERY_TOKEN_NAMES & {name.lower() for name in request.query}:
            return refuse(400, "tokens in the query string are refused; send 'Authorization: Bearer <token>'")
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        credential = request.headers.get("Authorization")
        if not _is_text(credential):
            limiter.failed(address)
            return refuse(400, "the Authorization header is not UTF-8 text; send 'Authorization: Bearer <token>'")
        principal = authenticator.authenticate(credential or "")
        if principal is None:
            if limiter.blocked(address):
                wait = str(limiter.retry_after(address) or 1)
                return refuse(429, "too many failed authentications from this address; try later", Retry_After=wait)
            limiter.failed(address)
            return refuse(401, "missing or wrong bearer token", WWW_Authenticate='Bearer realm="codetether"')

        if not principal.admin and request.path not in SCOPED_PATHS and not request.path.startswith(SCOPED_PREFIXES):
            audit.record(f"{principal.id}@http:{address}", "api.call", resource, "error", detail="403")
            return _error(
                403, f"{request.path} needs the server's admin token; {principal.id} may call A2A and worker routes"
            )
        request[PRINCIPAL] = principal
        action = AUDIT_READ if request.path.startswith(AUDIT_PREFIX) else "api.call"
        actor = f"{principal.id}@http:{address}"  # who, and from where

        def record(outcome: str, status: int) -> None:
            duration_ms = (time.perf_counter() - started) * 1000
            audit.record(actor, action, resource, outcome, detail=str(status), duration_ms=duration_ms)

        try:
            response = await handler(request)
        except web.HTTPException as exc:
            record("error", exc.status)
            raise
        except Exception:
            record("error", 500)  # aiohttp answers 500; the call is still on the record
            raise
        record("ok" if response.status < 400 else "error", response.status)
        return response

    return middleware
