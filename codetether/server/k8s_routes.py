"""``/v1/k8s/*``: the k8s manager over HTTP (status, scale, health, reconcile, actions).

A server outside a cluster answers ``status`` with ``enabled: false`` and its reason, and the other
routes with 503; a failing call to the API server is a 502 carrying its message and status.
"""

import msgspec
from aiohttp import web

from ..k8s.errors import K8sDisabled, K8sError, K8sInvalid
from ..k8s.manager import K8sManager
from .json_io import json_response

K8S_KEY = web.AppKey("k8s", K8sManager)
MAX_ACTIONS = 500


class ScaleRequest(msgspec.Struct, forbid_unknown_fields=True):
    replicas: int


def _error(exc: K8sError) -> web.Response:
    status = 503 if isinstance(exc, K8sDisabled) else 400 if isinstance(exc, K8sInvalid) else 502
    body = {"error": exc.message, "hint": exc.hint}
    if exc.status:
        body["kubernetes_status"] = exc.status
    return json_response(body, status)


async def status(request: web.Request) -> web.Response:
    try:
        return json_response(await request.app[K8S_KEY].status())
    except K8sError as exc:
        return _error(exc)


async def health(request: web.Request) -> web.Response:
    try:
        return json_response(await _enabled(request).health())
    except K8sError as exc:
        return _error(exc)


async def scale(request: web.Request) -> web.Response:
    try:
        body = msgspec.json.decode(await request.read(), type=ScaleRequest)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return json_response({"error": f"invalid body: {exc}", "hint": 'send {"replicas": N}'}, 400)
    try:
        return json_response(await _enabled(request).scale(body.replicas))
    except K8sError as exc:
        return _error(exc)


async def reconcile(request: web.Request) -> web.Response:
    try:
        return json_response(await _enabled(request).reconcile())
    except K8sError as exc:
        return _error(exc)


async def actions(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return json_response({"error": "limit must be an integer"}, 400)
    manager = request.app[K8S_KEY]
    return json_response(
        {"actions": manager.actions(max(1, min(limit, MAX_ACTIONS))), "last_reconcile": manager.last_report}
    )


def _enabled(request: web.Request) -> K8sManager:
    manager = request.app[K8S_KEY]
    manager.require_enabled()
    return manager


def add_routes(app: web.Application, manager: K8sManager) -> None:
    app[K8S_KEY] = manager
    app.router.add_get("/v1/k8s/status", status)
    app.router.add_get("/v1/k8s/health", health)
    app.router.add_post("/v1/k8s/scale", scale)
    app.router.add_post("/v1/k8s/reconcile", reconcile)
    app.router.add_get("/v1/k8s/actions", actions)
