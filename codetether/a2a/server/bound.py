"""A request handler bound to one caller: the only handle the adapters (JSON-RPC, REST, gRPC) hold.

The adapters decode a request, bind the caller once and call the operation, so no operation can be
reached without saying who asked (the handler scopes every task to its owner and tenant).
"""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ..domain.context import CallContext
from ..domain.types import (
    AgentCard,
    CancelTaskRequest,
    DeletePushConfigRequest,
    GetExtendedAgentCardRequest,
    GetPushConfigRequest,
    GetTaskRequest,
    ListPushConfigsRequest,
    ListPushConfigsResponse,
    ListTasksRequest,
    ListTasksResponse,
    PushConfig,
    SendMessageRequest,
    SendMessageResponse,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
)

if TYPE_CHECKING:
    from .handler import RequestHandler


class BoundHandler:
    """A :class:`RequestHandler` bound to one call's context."""

    __slots__ = ("call", "handler")

    def __init__(self, handler: "RequestHandler", call: CallContext) -> None:
        self.handler = handler
        self.call = call

    async def on_send_message(self, request: SendMessageRequest, version: str = "1.0") -> SendMessageResponse:
        return await self.handler.on_send_message(request, version, call=self.call)

    async def on_send_streaming_message(
        self, request: SendMessageRequest, version: str = "1.0"
    ) -> AsyncIterator[StreamResponse]:
        return await self.handler.on_send_streaming_message(request, version, call=self.call)

    async def on_subscribe_to_task(self, request: SubscribeToTaskRequest) -> AsyncIterator[StreamResponse]:
        return await self.handler.on_subscribe_to_task(request, call=self.call)

    async def on_get_task(self, request: GetTaskRequest) -> Task:
        return await self.handler.on_get_task(request, call=self.call)

    async def on_list_tasks(self, request: ListTasksRequest) -> ListTasksResponse:
        return await self.handler.on_list_tasks(request, call=self.call)

    async def on_cancel_task(self, request: CancelTaskRequest) -> Task:
        return await self.handler.on_cancel_task(request, call=self.call)

    async def on_create_push_config(self, config: PushConfig, version: str = "1.0") -> PushConfig:
        return await self.handler.on_create_push_config(config, version, call=self.call)

    async def on_get_push_config(self, request: GetPushConfigRequest) -> PushConfig:
        return await self.handler.on_get_push_config(request, call=self.call)

    async def on_list_push_configs(self, request: ListPushConfigsRequest) -> ListPushConfigsResponse:
        return await self.handler.on_list_push_configs(request, call=self.call)

    async def on_delete_push_config(self, request: DeletePushConfigRequest) -> None:
        await self.handler.on_delete_push_config(request, call=self.call)

    async def on_get_extended_agent_card(self, request: GetExtendedAgentCardRequest | None = None) -> AgentCard:
        return await self.handler.on_get_extended_agent_card(request, call=self.call)
