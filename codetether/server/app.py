"""The HTTP application every transport mounts into: health, bus stream, audit — all behind auth.

`codetether serve` (the A2A issue) adds its JSON-RPC, REST and card routes to this same app.
"""

from aiohttp import web

from ..bus import AgentBus
from ..security.audit import AuditLog
from ..security.audit_writer import AuditWriter
from ..security.auth import FailureLimiter, TokenAuth
from ..security.principal import Authenticator
from . import audit_routes, bus_stream
from .auth import auth_middleware

AUDIT_WRITER_KEY = web.AppKey("audit_writer", AuditWriter)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_app(
    bus: AgentBus,
    auth: TokenAuth | Authenticator,
    audit: AuditLog,
    *,
    limiter: FailureLimiter | None = None,
    client_max_size: int = 8 * 1024 * 1024,
) -> web.Application:
    writer = AuditWriter(audit)
    app = web.Application(middlewares=[auth_middleware(auth, writer, limiter)], client_max_size=client_max_size)
    app[AUDIT_WRITER_KEY] = writer
    app.router.add_get("/health", health)
    bus_stream.add_routes(app, bus)
    audit_routes.add_routes(app, writer)

    async def close_writer(app: web.Application) -> None:
        await writer.close()

    app.on_cleanup.append(close_writer)
    return app
