"""``GET /v1/audit/events?limit&after`` and ``POST /v1/audit/query``: the audit trail over HTTP.

Both flush the server's queued audit records first, so a reader always sees the calls before it.
Neither returns reads of the audit log itself (``audit.read``) unless the query asks for that action:
each read is recorded, and a reader paging to the end would otherwise never reach an empty page.
"""

import msgspec
from aiohttp import web

from ..security.audit import AuditQuery, query
from ..security.audit_writer import AuditWriter
from .auth import AUDIT_READ
from .json_io import json_response

AUDIT_KEY = web.AppKey("audit", AuditWriter)
MAX_LIMIT = 1000


async def _page(request: web.Request, q: AuditQuery) -> web.Response:
    writer = request.app[AUDIT_KEY]
    await writer.flush()
    asked_for_reads = bool(q.action) and AUDIT_READ.startswith(q.action)
    records = query(q, writer.log.directory, skip_actions=frozenset() if asked_for_reads else frozenset({AUDIT_READ}))
    return json_response({"events": records, "next_after": records[-1].seq if records else q.after})


async def events(request: web.Request) -> web.Response:
    try:
        limit = min(int(request.query.get("limit", "100")), MAX_LIMIT)
        after = int(request.query.get("after", "0"))
    except ValueError:
        return json_response({"error": "limit and after must be integers"}, 400)
    if limit < 1 or after < 0:
        return json_response({"error": "limit must be 1 or more and after 0 or more"}, 400)
    return await _page(request, AuditQuery(after=after, limit=limit))


async def search(request: web.Request) -> web.Response:
    """The body is an :class:`AuditQuery`; ``since`` and ``until`` take Unix seconds or ISO 8601."""
    try:
        q = msgspec.json.decode(await request.read(), type=AuditQuery)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return json_response({"error": f"invalid query: {exc}"}, 400)
    q.limit = min(max(q.limit, 1), MAX_LIMIT)
    return await _page(request, q)


def add_routes(app: web.Application, audit: AuditWriter) -> None:
    app[AUDIT_KEY] = audit
    app.router.add_get("/v1/audit/events", events)
    app.router.add_post("/v1/audit/query", search)
