"""What the long-running commands (``serve``, ``spawn``, ``worker``) share to start and stop.

Kept out of the command modules so one does not import another's private helpers, and so the
errors a person can fix (a short token, a port in use) read the same from each.
"""

import asyncio
import signal

from ..errors import UsageError
from . import output


def run_async(main) -> None:
    """Run ``main`` to completion, on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def auth_from_environment():
    """The bearer token, checked before anything starts: a bad one is the user's to fix, not a crash."""
    from ..security.auth import TokenAuth

    try:
        return TokenAuth.from_environment(output.notice)
    except ValueError as exc:  # TokenAuth's own rule (the minimum length) is the one message
        raise UsageError(
            f"CODETETHER_AUTH_TOKEN is too short: {exc}",
            "set a longer one (e.g. `openssl rand -hex 32`), or unset it and serve generates one",
        ) from exc


async def start_peer(settings, executor, auth, **options):
    """:meth:`Peer.start`, with a port that cannot be bound told as one line (not a traceback)."""
    from ..server.peer import Peer

    try:
        return await Peer.start(settings, executor, auth, **options)
    except OSError as exc:
        raise UsageError(f"cannot listen on {settings.host}: {exc.strerror or exc}", "pick another --port") from exc


async def until_stopped() -> None:
    """Return at the first SIGINT (Ctrl-C) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
