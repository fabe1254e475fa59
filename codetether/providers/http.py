"""The process's shared HTTP clients, one of each per event loop (connection reuse, one pool).

- :func:`shared_client`: the providers' small HTTP/1.1 client (``providers.httpclient``), kept off
  aiohttp so the first model request does not wait for aiohttp's import;
- :func:`shared_session`: an aiohttp ``ClientSession`` for the web tools and the model listing
  (redirects, cookies, charsets), imported on first use.

Both are bound to the loop that created them, so the caches are keyed by loop; a client whose loop
is gone is dropped with it.
"""

import asyncio
import weakref
from typing import TYPE_CHECKING

from .._version import __version__
from .httpclient import HTTPClient

if TYPE_CHECKING:
    import aiohttp

USER_AGENT = f"codetether/{__version__}"

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HTTPClient]" = weakref.WeakKeyDictionary()
_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = weakref.WeakKeyDictionary()


def shared_client() -> HTTPClient:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.closed:
        client = _clients[loop] = HTTPClient(user_agent=USER_AGENT)
    return client


def shared_session() -> "aiohttp.ClientSession":
    import aiohttp

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
    """Close this loop's clients (call before the loop ends to avoid 'Unclosed client session')."""
    loop = asyncio.get_running_loop()
    client = _clients.pop(loop, None)
    if client is not None:
        await client.close()
    session = _sessions.pop(loop, None)
    if session is not None and not session.closed:
        await session.close()
