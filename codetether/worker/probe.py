"""The worker's local probe port: ``/health`` (the process is up), ``/ready`` (registered and following the
task stream), ``/worker/status`` (what it holds and has seen), for Kubernetes probes and for people.

It listens on loopback by default and needs no token: it says nothing a local user could not read
from the worker's own log, and it accepts no commands.
"""

from collections.abc import Callable

import msgspec
from aiohttp import web


class Probe:
    def __init__(self, status: Callable[[], dict], ready: Callable[[], bool]) -> None:
        self._status = status
        self._ready = ready
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> "Probe":
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/ready", self._ready_route)
        app.router.add_get("/worker/status", self._status_route)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _ready_route(self, request: web.Request) -> web.Response:
        ready = self._ready()
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    async def _status_route(self, request: web.Request) -> web.Response:
        return web.Response(body=msgspec.json.encode(self._status()), content_type="application/json")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
