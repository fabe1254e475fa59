"""A real aiohttp server on a free loopback port with one handler for every path: the fake for a
peer, a card host or any HTTP endpoint whose answers a test writes by hand."""

from aiohttp import web


async def serve_handler(handler, **runner_options) -> tuple[web.AppRunner, str]:
    """Start serving ``handler``; the runner (``await runner.cleanup()`` stops it) and the base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"
