"""The worker's HTTP client for the queue routes of a ``codetether serve`` (or the original's control plane).

Every call raises :class:`QueueClientError` with the server's one-line reason; a claim someone else
won is not an error but ``None``. :meth:`QueueClient.stream` yields the task stream's frames.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import msgspec

from .types import (
    ClaimRequest,
    ClaimResponse,
    Heartbeat,
    HeartbeatReply,
    OutputRequest,
    PendingTasks,
    RegisterRequest,
    RegisterResponse,
    ReleaseRequest,
    WorkItem,
)


class QueueClientError(Exception):
    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Frame:
    """One Server-Sent Event."""

    event: str
    data: str
    id: str | None


_encode = msgspec.json.Encoder().encode


class QueueClient:
    def __init__(self, server: str, token: str, session: aiohttp.ClientSession) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.session = session

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **extra}

    async def _call(self, method: str, path: str, body: object | None, kind: type | None, *, ok=(200, 201)):
        try:
            async with self.session.request(
                method, self.server + path, data=None if body is None else _encode(body), headers=self._headers()
            ) as response:
                raw = await response.read()
                if response.status not in ok:
                    raise QueueClientError(f"{method} {path}: {response.status} {_reason(raw)}", response.status)
                return msgspec.json.decode(raw, type=kind) if kind is not None else None
        except aiohttp.ClientError as exc:
            raise QueueClientError(f"{method} {path}: {exc}") from exc

    async def register(self, request: RegisterRequest) -> RegisterResponse:
        return await self._call("POST", "/v1/agent/workers/register", request, RegisterResponse)

    async def heartbeat(self, worker_id: str, beat: Heartbeat) -> HeartbeatReply:
        return await self._call("POST", f"/v1/agent/workers/{worker_id}/heartbeat", beat, HeartbeatReply)

    async def pending(self) -> list[WorkItem]:
        return (await self._call("GET", "/v1/agent/tasks?status=pending", None, PendingTasks)).tasks

    async def claim(self, worker_id: str, task_id: str) -> ClaimResponse | None:
        try:
            return await self._call(
                "POST", "/v1/worker/tasks/claim", ClaimRequest(task_id=task_id, worker_id=worker_id), ClaimResponse
            )
        except QueueClientError as exc:
            if exc.status in (404, 409):  # someone else won, or it was canceled meanwhile
                return None
            raise

    async def output(self, worker_id: str, task_id: str, text: str, kind: str = "text") -> None:
        body = OutputRequest(worker_id=worker_id, kind=kind, output=text)  # type: ignore[arg-type]
        await self._call("POST", f"/v1/agent/tasks/{task_id}/output", body, None)

    async def release(self, request: ReleaseRequest) -> None:
        await self._call("POST", "/v1/worker/tasks/release", request, None)

    async def stream(self, worker_id: str, name: str, last_event_id: str | None) -> AsyncIterator[Frame]:
        """The task stream's frames until the connection ends (raises on a refused or broken connection)."""
        headers = self._headers(**{"X-Worker-ID": worker_id, "X-Agent-Name": name, "Accept": "text/event-stream"})
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None, sock_connect=10)
        try:
            async with self.session.get(
                f"{self.server}/v1/worker/tasks/stream",
                headers=headers,
                params={"worker_id": worker_id},
                timeout=timeout,
            ) as response:
                if response.status != 200:
                    raise QueueClientError(
                        f"task stream: {response.status} {_reason(await response.read())}", response.status
                    )
                yield Frame("open", "", None)  # connected: the caller may now poll for what came before
                async for frame in parse_sse(response.content):
                    yield frame
        except aiohttp.ClientError as exc:
            raise QueueClientError(f"task stream: {exc}") from exc


async def parse_sse(content: aiohttp.StreamReader) -> AsyncIterator[Frame]:
    """Server-Sent Events framing (WHATWG HTML §9.2.6): ``event``, ``data`` and ``id`` fields, blank line ends one."""
    event, data, event_id = "message", [], None
    while True:
        raw = await content.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield Frame(event, "\n".join(data), event_id)
            event, data, event_id = "message", [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


def _reason(raw: bytes) -> str:
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw[:200].decode("utf-8", "replace")
    if isinstance(body, dict) and "error" in body:
        return str(body["error"]) + (f" ({body['hint']})" if body.get("hint") else "")
    return raw[:200].decode("utf-8", "replace")
