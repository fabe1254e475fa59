"""One aiohttp ClientSession per event loop, shared by every provider (connection reuse, one pool).

aiohttp sessions are bound to the loop that created them, so the cache is keyed by loop; a
session whose loop is gone is dropped with it.
"""

import asyncio
import weakref

import aiohttp

from .._version import __version__

USER_AGENT = f"codetether/{__version__}"

_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = weakref.WeakKeyDictionary()


def shared_session() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(limit=64, limit_per_host=16, ttl_dns_cache=300, enable_cleanup_closed=True)
        session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT},
            # Per-request timeouts are set by each call; this only bounds a hung connect.
            timeout=aiohttp.ClientTimeout(total=None, connect=30),
            auto_decompress=True,
        )
        _sessions[loop] = session
    return session


async def close_shared_session() -> None:
    """Close this loop's session (call before the loop ends to avoid 'Unclosed client session')."""
    loop = asyncio.get_running_loop()
    session = _sessions.pop(loop, None)
    if session is not None and not session.closed:
        await session.close()
