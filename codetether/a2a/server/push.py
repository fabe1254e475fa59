"""Push notifications: POST each task update to the webhooks registered for it.

Deliveries to one webhook are sequential (updates arrive in order) and independent of the work and
of other webhooks. A failed POST (connection error, timeout, 5xx, 429) is retried with exponential
backoff and jitter, honouring ``Retry-After``; a 4xx other than 408/429 is not retried. Spec 1.0
receivers get the ``StreamResponse`` event; spec 0.3 receivers get the whole task, as 0.3 defines.

Webhook URLs are checked against SSRF (spec §13.2): a URL whose host is, or resolves to, a loopback,
private, link-local or otherwise non-public address is refused unless ``allow_private`` is set
(``[a2a] allow_private_push_urls``). The check runs at registration and again before each POST, so a
name that later resolves somewhere private is still refused.
"""

import asyncio
import ipaddress
import logging
import random
import socket
from urllib.parse import urlsplit

import msgspec

from ..domain import errors
from ..domain.types import StreamResponse, Task

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class PushSettings(msgspec.Struct, kw_only=True):
    allow_private: bool = False
    attempts: int = 5
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    timeout_seconds: float = 15.0


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address are judged by that address.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible (::a.b.c.d), deprecated but routable
            ip = ipaddress.IPv4Address(int(ip))
    return ip.is_global and not ip.is_multicast


def _shown(url: str) -> str:
    """The URL for logs: no userinfo, no query (webhook tokens often travel there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"
    except ValueError:
        return "<invalid url>"


class _PublicOnlyResolver:
    """aiohttp resolver that refuses non-public answers, so the address checked is the one connected
    to: a name that resolves publicly at registration and privately later (DNS rebinding) fails here."""

    def __init__(self) -> None:
        from aiohttp.resolver import DefaultResolver

        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        answers = await self._inner.resolve(host, port, family)
        private = [answer["host"] for answer in answers if not _public(answer["host"])]
        if private:
            raise OSError(f"{host} resolves to the non-public address {private[0]}; refused")
        return answers

    async def close(self) -> None:
        await self._inner.close()


class PushNotifier:
    """Delivers task updates to webhooks; one instance per server."""

    def __init__(self, store, settings: PushSettings | None = None) -> None:
        self.store = store
        self.settings = settings or PushSettings()
        self._queues: dict[tuple[str, str], asyncio.Queue] = {}
        self._workers: set[asyncio.Task] = set()
        self._session = None

    async def check_url(self, url: str) -> None:
        """Raise InvalidParamsError unless ``url`` is an http(s) URL this server may POST to."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range", ...
            raise errors.InvalidParamsError(f"push notification url {url!r} is not a valid URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not host:
            raise errors.InvalidParamsError(f"push notification url {url!r} must be an http:// or https:// URL")
        if self.settings.allow_private:
            return
        try:
            addresses = [host] if _is_ip(host) else await _resolve(host, port)
        except OSError as exc:
            raise errors.InvalidParamsError(f"push notification host {host!r} does not resolve: {exc}") from exc
        private = [address for address in addresses if not _public(address)]
        if private:
            raise errors.InvalidParamsError(
                f"push notification url {url!r} points at a non-public address ({private[0]}); refused to "
                "prevent server-side request forgery. Set [a2a] allow_private_push_urls = true to allow it"
            )

    def notify(self, task: Task, event: StreamResponse) -> None:
        """Queue ``event`` for every webhook of ``task``; returns at once."""
        targets = self.store.push_targets(task.id)
        if not targets:
            return
        bodies: dict[str, bytes] = {}  # one encoding per spec version, whatever the number of webhooks
        for config, version in targets:
            body = bodies.get(version)
            if body is None:
                if version == "0.3":
                    from ..wire.compat_v03 import task_json

                    body = bodies[version] = msgspec.json.encode(task_json(task))
                else:
                    body = bodies[version] = msgspec.json.encode(event)
            key = (task.id, config.id)
            queue = self._queues.get(key)
            if queue is None:
                queue = self._queues[key] = asyncio.Queue()
                worker = asyncio.create_task(self._deliver_all(key, queue), name=f"a2a-push-{task.id}-{config.id}")
                self._workers.add(worker)
                worker.add_done_callback(self._workers.discard)
            queue.put_nowait((config, version, body))

    async def _deliver_all(self, key: tuple[str, str], queue: asyncio.Queue) -> None:
        try:
            while not queue.empty():
                config, version, body = queue.get_nowait()
                await self._deliver(config, version, body)
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]

    async def _deliver(self, config, version: str, body: bytes) -> bool:
        import aiohttp

        if self._session is None:
            connector = None if self.settings.allow_private else aiohttp.TCPConnector(resolver=_PublicOnlyResolver())
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
            )
        headers = {"Content-Type": "application/a2a+json" if version != "0.3" else "application/json"}
        if config.token:
            headers["X-A2A-Notification-Token"] = config.token
        if config.authentication is not None and config.authentication.credentials:
            headers["Authorization"] = f"{config.authentication.scheme} {config.authentication.credentials}"
        settings = self.settings
        for attempt in range(1, settings.attempts + 1):
            delay = min(settings.max_backoff_seconds, settings.backoff_seconds * 2 ** (attempt - 1))
            delay = random.uniform(delay / 2, delay)
            try:
                await self.check_url(config.url)
                async with self._session.post(config.url, data=body, headers=headers, allow_redirects=False) as reply:
                    if 200 <= reply.status < 300:
                        return True
                    if reply.status not in RETRYABLE_STATUS:
                        log.warning("push to %s refused with HTTP %s; not retried", _shown(config.url), reply.status)
                        return False
                    wanted = _retry_after(reply.headers.get("Retry-After")) or 0.0
                    delay = min(settings.max_backoff_seconds, max(delay, wanted))
                    problem = f"HTTP {reply.status}"
            except errors.A2AError as exc:
                log.warning("push to %s dropped: %s", _shown(config.url), exc)
                return False
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < settings.attempts:
                log.info("push to %s failed (%s); retry %d in %.2f s", _shown(config.url), problem, attempt, delay)
                await asyncio.sleep(delay)
        log.warning(
            "push to %s failed %d times (%s); giving up on this update", _shown(config.url), settings.attempts, problem
        )
        return False

    async def drain(self) -> None:
        """Wait until every queued delivery has succeeded or given up."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)

    async def close(self) -> None:
        for worker in list(self._workers):
            worker.cancel()
        await asyncio.gather(*list(self._workers), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


async def _resolve(host: str, port: int | None) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return max(0.0, seconds) if seconds is not None and seconds == seconds else None  # NaN is no answer
