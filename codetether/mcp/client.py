"""Connections to the configured MCP servers: each started on first use and kept until the runtime closes.

The SDK's transports are anyio task groups that must be entered and left by one task, and the agent is
built synchronously while it needs the servers' tool lists. So every connection lives on one private
event loop in a daemon thread: an *owner* task per server enters the transport and the session, then
waits to be told to stop. Callers on any loop (or none) submit coroutines to that loop. A server that
fails to start, crashes or hangs is reported once through ``notice`` and answers later calls with an
error; it never raises into the session that uses it.
"""

import asyncio
import concurrent.futures
import contextlib
import logging
import tempfile
import threading
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from ..config.schema import McpServerSection
from .config import McpError, ServerConfig, resolve

log = logging.getLogger(__name__)

T = TypeVar("T")
# Variables a stdio server inherits (the SDK's list), taken from the runtime's environment, not os.environ.
INHERITED = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR")
STOP_GRACE = 10.0  # seconds for a transport to wind down (the SDK bounds its own steps to a few seconds)
CRASH_PROBE = 5.0  # seconds a ping may take after a failed call, to tell a crash from a tool's error


def _describe(exc: BaseException) -> str:
    """The first real failure inside the task groups' exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _dump(result: Any) -> dict[str, Any]:
    """An SDK result as its wire JSON (camelCase), the same whichever SDK major version is installed."""
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


class McpConnection:
    """One server's session. Every method runs on the MCP loop."""

    def __init__(self, config: ServerConfig, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = environ
        self.failure: str | None = None  # why the server is unusable; set once, never cleared
        self._session: Any = None
        self._owner: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._errlog: Any = None  # the stdio server's stderr, kept to explain a crash
        self._tools: list[dict[str, Any]] | None = None

    # --- lifecycle -----------------------------------------------------------------------------------
    async def session(self) -> Any:
        """The live session, started (within ``startup_timeout``) on the first call."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.failure is not None:
                raise McpError(f"MCP server {self.config.name} is not available: {self.failure}")
            if self._session is None:
                await self._start()
            return self._session

    async def _start(self) -> None:
        ready, self._stop = asyncio.Event(), asyncio.Event()
        self._owner = asyncio.ensure_future(self._own(ready))
        try:
            await asyncio.wait_for(ready.wait(), self.config.startup_timeout)
        except TimeoutError:
            error = self._failed(f"it did not start within {self.config.startup_timeout:g}s")
            await self.aclose()
            raise error from None
        if self._session is None:
            error = self._failed(f"it failed to start ({self.failure or 'it exited'})")
            await self.aclose()
            raise error

    async def _own(self, ready: asyncio.Event) -> None:
        from mcp import ClientSession

        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await self._transport(stack)
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                self._session = session
                ready.set()
                assert self._stop is not None
                await self._stop.wait()
        except Exception as exc:  # the server's failure is data for the user, not a crash of ours
            log.debug("MCP server %s stopped", self.config.name, exc_info=True)
            self.failure = self.failure or _describe(exc)
        finally:
            self._session = None
            ready.set()

    async def _transport(self, stack: contextlib.AsyncExitStack) -> tuple[Any, Any]:
        config = self.config
        if config.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            env = {k: self.environ[k] for k in INHERITED if k in self.environ} | config.env
            params = StdioServerParameters(command=config.command or "", args=config.args, env=env, cwd=config.cwd)
            if self._errlog is None:  # outlives the transport (a crash is explained by its last words): see close_log
                self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
            return await stack.enter_async_context(stdio_client(params, errlog=self._errlog))
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        client = await stack.enter_async_context(create_mcp_http_client(headers=config.headers))
        streams = await stack.enter_async_context(streamable_http_client(config.url or "", http_client=client))
        return streams[0], streams[1]

    def _stderr_tail(self) -> str:
        if self._errlog is None or self._errlog.closed:
            return ""
        self._errlog.seek(0)
        lines = self._errlog.read()[-2000:].strip().splitlines()
        return "\n".join(lines[-10:])

    def _failed(self, why: str) -> McpError:
        """Mark the server unusable and say why, with the last lines it wrote to stderr."""
        tail = self._stderr_tail()
        self.failure = why
        return McpError(
            f"MCP server {self.config.name} is not available: {why}",
            f"its last output: {tail}" if tail else f"check [mcp.{self.config.name}] and run `codetether mcp list`",
        )

    async def aclose(self) -> None:
        """Leave the session and stop the server (bounded: a server that ignores its stdin is killed)."""
        owner, self._owner = self._owner, None
        if owner is not None:
            if self._stop is not None:
                self._stop.set()
            try:
                await asyncio.wait_for(asyncio.shield(owner), STOP_GRACE)
            except (TimeoutError, asyncio.CancelledError):
                owner.cancel()
                with contextlib.suppress(BaseException):
                    await owner
        if self.failure is None and self._errlog is not None:
            self._errlog.close()

    def close_log(self) -> None:
        if self._errlog is not None:
            self._errlog.close()

    # --- requests ------------------------------------------------------------------------------------
    async def request(self, method: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """``session.method(*args)`` within ``timeout`` (default: the server's); a dead server is noticed."""
        session = await self.session()
        limit = timeout or self.config.timeout
        try:
            return await asyncio.wait_for(getattr(session, method)(*args, **kwargs), limit)
        except TimeoutError:
            raise McpError(
                f"MCP server {self.config.name} did not answer {method} within {limit:g}s",
                f"raise [mcp.{self.config.name}] timeout if it needs longer",
            ) from None
        except Exception as exc:
            if self._session is None or not await self._alive(session):
                error = self._failed(f"it stopped ({_describe(exc)})")
                await self.aclose()
                raise error from None
            raise McpError(f"MCP server {self.config.name}: {method} failed: {_describe(exc)}") from exc

    async def _alive(self, session: Any) -> bool:
        try:
            await asyncio.wait_for(session.send_ping(), CRASH_PROBE)
            return True
        except Exception:
            return False

    async def tools(self) -> list[dict[str, Any]]:
        """Every tool the server offers (wire JSON), listed once per connection."""
        if self.failure is not None:  # a server that died since it was listed offers nothing to a new run
            raise McpError(f"MCP server {self.config.name} is not available: {self.failure}")
        if self._tools is None:
            self._tools = [tool for page in await self._pages("list_tools", "tools") for tool in page]
        return self._tools

    async def _pages(self, method: str, key: str) -> list[list[dict[str, Any]]]:
        from mcp import types

        pages: list[list[dict[str, Any]]] = []
        params = None
        while True:
            kwargs = {} if params is None else {"params": params}
            result = _dump(await self.request(method, timeout=self.config.startup_timeout, **kwargs))
            pages.append(result.get(key, []))
            cursor = result.get("nextCursor")
            if not cursor:
                return pages
            params = types.PaginatedRequestParams(cursor=cursor)

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return _dump(await self.request("call_tool", name, arguments))

    async def list_resources(self) -> list[dict[str, Any]]:
        return [item for page in await self._pages("list_resources", "resources") for item in page]

    async def read_resource(self, uri: str) -> dict[str, Any]:
        return _dump(await self.request("read_resource", uri))

    async def list_prompts(self) -> list[dict[str, Any]]:
        return [item for page in await self._pages("list_prompts", "prompts") for item in page]


class _LoopThread:
    """A private event loop in a daemon thread, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, coro: Coroutine[Any, Any, T]) -> "concurrent.futures.Future[T]":
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="codetether-mcp", daemon=True)
                self._thread.start()
            return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def stop(self) -> None:
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STOP_GRACE)
        if not thread.is_alive():
            loop.close()


class McpClients:
    """The ``[mcp.*]`` servers of one runtime; ``notice`` hears once about each server that fails."""

    def __init__(
        self,
        servers: Mapping[str, McpServerSection],
        environ: Mapping[str, str],
        notice: Callable[[str], None],
    ) -> None:
        self.sections = dict(servers)
        self.environ = environ
        self.notice = notice
        self._loop = _LoopThread()
        self._connections: dict[str, McpConnection] = {}
        self._reported: set[str] = set()
        self._guard = threading.Lock()

    def enabled(self) -> list[str]:
        return [name for name, section in self.sections.items() if section.enabled]

    def connection(self, name: str) -> McpConnection:
        """The server's connection object (not yet started); raises McpError for an unknown or bad entry."""
        with self._guard:
            if name not in self._connections:
                section = self.sections.get(name)
                if section is None:
                    known = ", ".join(sorted(self.sections)) or "none"
                    raise McpError(f"no MCP server named {name!r}", f"configured: {known}")
                self._connections[name] = McpConnection(resolve(name, section, self.environ), self.environ)
            return self._connections[name]

    def report(self, name: str, error: McpError) -> None:
        """Tell the user once per server that it is unusable."""
        if name not in self._reported:
            self._reported.add(name)
            self.notice(f"{error}" if not error.hint else f"{error.message}\n  {error.hint}")

    async def run(self, name: str, method: str, *args: Any) -> Any:
        """``connection.method(*args)`` on the MCP loop, awaited from the caller's loop."""
        connection = self.connection(name)
        future = self._loop.submit(getattr(connection, method)(*args))
        try:
            return await asyncio.wrap_future(future)
        except McpError as exc:
            if connection.failure is not None:
                self.report(name, exc)
            raise

    def tool_lists(self) -> dict[str, list[dict[str, Any]]]:
        """Each enabled server's tools, started concurrently (blocks up to the longest startup timeout).

        A server that cannot be started or listed is reported once and left out.
        """
        names = self.enabled()
        connections: dict[str, McpConnection] = {}
        for name in names:
            try:
                connections[name] = self.connection(name)
            except McpError as exc:
                self.report(name, exc)

        async def all_tools() -> list[list[dict[str, Any]] | BaseException]:
            return await asyncio.gather(*(c.tools() for c in connections.values()), return_exceptions=True)

        results = self._loop.submit(all_tools()).result()
        lists: dict[str, list[dict[str, Any]]] = {}
        for name, result in zip(connections, results, strict=True):
            if isinstance(result, McpError):
                self.report(name, result)
            elif isinstance(result, BaseException):
                self.report(name, McpError(f"MCP server {name} is not available: {_describe(result)}"))
            else:
                lists[name] = result
        return lists

    async def aclose(self) -> None:
        """Stop every started server, then the loop they ran on."""
        with self._guard:
            connections = list(self._connections.values())

        async def close_all() -> None:
            await asyncio.gather(*(c.aclose() for c in connections), return_exceptions=True)
            for connection in connections:
                connection.close_log()

        if connections:
            await asyncio.wrap_future(self._loop.submit(close_all()))
        await asyncio.to_thread(self._loop.stop)
