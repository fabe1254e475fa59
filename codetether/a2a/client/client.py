"""The A2A client: find a peer from its agent card, then talk to it over JSON-RPC or gRPC, spec 1.0 or 0.3.

``A2AClient.connect(url)`` reads the card, picks one interface (spec 1.0 before 0.3; JSON-RPC unless
gRPC is asked for, or is all the peer offers) and opens that transport. Every method returns the
domain types of :mod:`codetether.a2a.domain.types` whatever the interface, so the worker, ``spawn`` and the
swarm never see which one was used. Failures are :class:`~codetether.a2a.domain.errors.A2AError`\\ s (the
peer's protocol errors) or :class:`~codetether.a2a.client.errors.A2AClientError`\\ s (could not talk).
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Protocol

import msgspec

from ..domain import errors
from ..domain import types as t
from ..domain.versions import V1
from .card import Endpoint, Transport, Version, choose_endpoint, endpoints, fetch_card, host_of
from .errors import A2AAuthError, A2AClientError, A2AConnectionError, resolve_token

__all__ = [
    "A2AAuthError",
    "A2AClient",
    "A2AClientError",
    "A2AConnectionError",
    "Endpoint",
    "choose_endpoint",
    "endpoints",
    "fetch_card",
]


class _Transport(Protocol):
    """What ``jsonrpc.JsonRpcTransport`` and ``grpc.GrpcTransport`` both offer."""

    async def send_message(self, request: t.SendMessageRequest) -> t.Task | t.Message | None: ...
    async def send_streaming_message(self, request: t.SendMessageRequest) -> AsyncIterator[t.StreamResponse]: ...
    async def subscribe(self, request: t.SubscribeToTaskRequest) -> AsyncIterator[t.StreamResponse]: ...
    async def get_task(self, request: t.GetTaskRequest) -> t.Task: ...
    async def list_tasks(self, request: t.ListTasksRequest) -> t.ListTasksResponse: ...
    async def cancel_task(self, request: t.CancelTaskRequest) -> t.Task: ...
    async def create_push_config(self, config: t.PushConfig) -> t.PushConfig: ...
    async def get_push_config(self, request: t.GetPushConfigRequest) -> t.PushConfig: ...
    async def list_push_configs(self, request: t.ListPushConfigsRequest) -> t.ListPushConfigsResponse: ...
    async def delete_push_config(self, request: t.DeletePushConfigRequest) -> None: ...
    async def extended_card(self) -> t.AgentCard: ...
    async def close(self) -> None: ...


def _final(event: t.StreamResponse) -> bool:
    """The last event a stream owes us: a direct message, or a terminal or interrupted state."""
    if event.message is not None:
        return True
    status = event.status_update.status if event.status_update else (event.task.status if event.task else None)
    if status is None:
        return False
    if event.task is not None:
        return status.state.terminal
    return status.state.terminal or status.state.interrupted


class A2AClient:
    """A connection to one A2A agent; ``async with await A2AClient.connect(url) as client: ...``."""

    def __init__(self, card: t.AgentCard, endpoint: Endpoint, transport: _Transport, card_url: str) -> None:
        self.card = card
        self.endpoint = endpoint
        self.card_url = card_url
        self._transport = transport

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        token: str | None = None,
        transport: Transport = "auto",
        version: Version = "auto",
        timeout: float | None = None,
        connect_timeout: float = 10.0,
        same_host: bool = False,
    ) -> "A2AClient":
        """Read the card at ``url`` (base or card URL) and open the chosen interface.

        ``same_host``: speak only to an interface on ``url``'s own host. For callers that did not pick
        the peer's card (a model's a2a_send): a card is whatever its server says, and one naming another
        host would otherwise receive the token and the message there.

        ``token`` is the bearer token; ``None`` takes ``CODETETHER_A2A_TOKEN``, then
        ``CODETETHER_AUTH_TOKEN``; ``""`` sends none. ``timeout`` bounds each unary call (``None``:
        no limit, as a blocking send waits for the agent's whole task); streams are never cut short.
        """
        import aiohttp

        token, token_source = resolve_token(token)
        # The card is public: the token goes only to the interface the card names, never to the card URL.
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout))
        try:
            where, card = await fetch_card(url, session=session, timeout=max(connect_timeout, 30.0))
            endpoint = choose_endpoint(card, transport, version, host=host_of(url) if same_host else None)
            if endpoint.binding == "GRPC":
                from .grpc import GrpcTransport

                await session.close()
                wire: _Transport = GrpcTransport(
                    endpoint.url, endpoint.version, token=token, token_source=token_source, timeout=timeout
                )
            else:
                from .jsonrpc import JsonRpcTransport

                wire = JsonRpcTransport(
                    session, endpoint.url, endpoint.version, token=token, token_source=token_source, timeout=timeout
                )
        except BaseException:
            await session.close()
            raise
        return cls(card, endpoint, wire, where)

    @property
    def version(self) -> str:
        return self.endpoint.version

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "A2AClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- messages --------------------------------------------------------------------------------

    @staticmethod
    def _request(
        message: str | t.Message,
        context_id: str | None,
        task_id: str | None,
        history_length: int | None,
        blocking: bool = True,
        push: t.PushConfig | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> t.SendMessageRequest:
        if isinstance(message, str):
            message = t.Message(message_id=str(uuid.uuid4()), role=t.Role.USER, parts=[t.Part(text=message)])
        changes = {"context_id": context_id, "task_id": task_id}
        message = msgspec.structs.replace(message, **{k: v for k, v in changes.items() if v is not None})
        configuration = t.SendMessageConfiguration(
            history_length=history_length, return_immediately=not blocking, task_push_notification_config=push
        )
        return t.SendMessageRequest(message=message, configuration=configuration, metadata=metadata)

    async def send(
        self,
        message: str | t.Message,
        *,
        context_id: str | None = None,
        task_id: str | None = None,
        blocking: bool = True,
        history_length: int | None = None,
        push: t.PushConfig | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> t.Task | t.Message:
        """Send a message (text, or a whole Message); with ``blocking`` the answer is the task once it
        ended or needs input, else the task as soon as the agent took it. ``task_id`` continues a task."""
        request = self._request(message, context_id, task_id, history_length, blocking, push, metadata)
        result = await self._transport.send_message(request)
        if result is None:
            raise errors.InvalidAgentResponseError("the agent answered SendMessage with neither a task nor a message")
        return result

    async def stream(
        self,
        message: str | t.Message,
        *,
        context_id: str | None = None,
        task_id: str | None = None,
        history_length: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> AsyncIterator[t.StreamResponse]:
        """Send a message and yield the task's events until it ends, needs input, or the agent replies
        with a plain message."""
        request = self._request(message, context_id, task_id, history_length, metadata=metadata)
        async with aclosing(await self._transport.send_streaming_message(request)) as events:
            async for event in events:
                yield event
                if _final(event):
                    return

    # -- tasks -----------------------------------------------------------------------------------

    async def get_task(self, task_id: str, history_length: int | None = None) -> t.Task:
        return await self._transport.get_task(t.GetTaskRequest(id=task_id, history_length=history_length))

    async def list_tasks(
        self,
        *,
        context_id: str = "",
        state: t.TaskState | None = None,
        page_size: int | None = None,
        page_token: str = "",
        history_length: int | None = None,
        include_artifacts: bool | None = None,
    ) -> t.ListTasksResponse:
        """One page of the agent's tasks, newest first (spec 1.0 only: 0.3 has no ListTasks)."""
        if self.version != V1:
            raise errors.UnsupportedOperationError(
                f"ListTasks is a spec 1.0 operation, and this client speaks 0.3 to {self.endpoint.url}"
                + ("; connect with version='1.0'" if any(e.version == V1 for e in endpoints(self.card)) else "")
            )
        request = t.ListTasksRequest(
            context_id=context_id,
            status=state or t.TaskState.UNSPECIFIED,
            page_size=page_size,
            page_token=page_token,
            history_length=history_length,
            include_artifacts=include_artifacts,
        )
        return await self._transport.list_tasks(request)

    async def cancel(self, task_id: str) -> t.Task:
        return await self._transport.cancel_task(t.CancelTaskRequest(id=task_id))

    async def subscribe(self, task_id: str) -> AsyncIterator[t.StreamResponse]:
        """Follow a running task: its current state first, then its events until it ends or needs input."""
        async with aclosing(await self._transport.subscribe(t.SubscribeToTaskRequest(id=task_id))) as events:
            async for event in events:
                yield event
                if _final(event):
                    return

    # -- push notifications ----------------------------------------------------------------------

    async def create_push_config(
        self,
        task_id: str,
        url: str,
        *,
        config_id: str = "",
        token: str = "",
        authentication: t.AuthenticationInfo | None = None,
    ) -> t.PushConfig:
        """Ask the agent to POST the task's updates to ``url`` (the agent picks an id if none is given)."""
        config = t.PushConfig(url=url, id=config_id, task_id=task_id, token=token, authentication=authentication)
        return await self._transport.create_push_config(config)

    async def get_push_config(self, task_id: str, config_id: str) -> t.PushConfig:
        return await self._transport.get_push_config(t.GetPushConfigRequest(task_id=task_id, id=config_id))

    async def list_push_configs(self, task_id: str) -> list[t.PushConfig]:
        return (await self._transport.list_push_configs(t.ListPushConfigsRequest(task_id=task_id))).configs

    async def delete_push_config(self, task_id: str, config_id: str) -> None:
        await self._transport.delete_push_config(t.DeletePushConfigRequest(task_id=task_id, id=config_id))

    # -- cards -----------------------------------------------------------------------------------

    async def extended_card(self) -> t.AgentCard:
        """The card authenticated callers see. An agent that declares none answers with its public
        card, as the a2a-sdk client does, rather than an error every caller would have to catch."""
        capabilities = self.card.capabilities
        if not (capabilities.extended_agent_card or self.card.supports_authenticated_extended_card):
            return self.card
        return await self._transport.extended_card()
