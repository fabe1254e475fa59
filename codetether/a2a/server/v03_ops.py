"""Spec 0.3 operations in 0.3's protobuf JSON, shared by the two bindings that speak it.

gRPC's ``a2a.v1.A2AService`` and the 0.3 HTTP+JSON binding (``/a2a/rest/v1/...``) carry the same
0.3 protobuf messages (as bytes and as ProtoJSON); each adapter turns its request into the dicts
these functions take and their dict results back into its wire format. The work itself is the one
``RequestHandler``; this module only maps 0.3 shapes to and from the domain types.
"""

from collections.abc import AsyncIterator
from typing import Any

import msgspec

from ..domain import types as t
from ..domain.versions import V03
from ..wire import proto_convert as pc
from ..wire import v03_model as m
from .bound import BoundHandler
from .card import card_v03
from .streams import MappedStream

_to_dict = msgspec.to_builtins


def _send_request(request: dict[str, Any]) -> t.SendMessageRequest:
    return m.convert(m.send_request_from(request, pc.PROTO), t.SendMessageRequest)


def _events(events: AsyncIterator[t.StreamResponse]) -> MappedStream:
    return MappedStream(events, lambda event: m.event_to(_to_dict(event), pc.PROTO))


class V03Operations:
    """One method per 0.3 operation; arguments and results are 0.3 protobuf JSON."""

    def __init__(self, handler: BoundHandler) -> None:
        self.handler = handler

    async def send(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = await self.handler.on_send_message(_send_request(request), V03)
        return m.event_to(_to_dict(reply), pc.PROTO)

    async def stream(self, request: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        return _events(await self.handler.on_send_streaming_message(_send_request(request), V03))

    async def subscribe(self, task_id: str) -> AsyncIterator[dict[str, Any]]:
        return _events(await self.handler.on_subscribe_to_task(t.SubscribeToTaskRequest(id=task_id)))

    async def get_task(self, task_id: str, history_length: int | None) -> dict[str, Any]:
        task = await self.handler.on_get_task(t.GetTaskRequest(id=task_id, history_length=history_length))
        return m.task_to(_to_dict(task), pc.PROTO)

    async def cancel(self, task_id: str) -> dict[str, Any]:
        return m.task_to(_to_dict(await self.handler.on_cancel_task(t.CancelTaskRequest(id=task_id))), pc.PROTO)

    async def create_push(self, task_id: str, config_id: str, config: dict[str, Any]) -> dict[str, Any]:
        inner = config.get("pushNotificationConfig", {})
        domain = m.convert(m.push_from(inner, task_id, config_id), t.PushConfig)
        return pc.push_config_pb_json(_to_dict(await self.handler.on_create_push_config(domain, V03)))

    async def get_push(self, task_id: str, config_id: str) -> dict[str, Any]:
        config = await self.handler.on_get_push_config(t.GetPushConfigRequest(task_id=task_id, id=config_id))
        return pc.push_config_pb_json(_to_dict(config))

    async def list_push(self, task_id: str) -> dict[str, Any]:
        listed = await self.handler.on_list_push_configs(t.ListPushConfigsRequest(task_id=task_id))
        return {"configs": [pc.push_config_pb_json(_to_dict(config)) for config in listed.configs]}

    async def delete_push(self, task_id: str, config_id: str) -> None:
        await self.handler.on_delete_push_config(t.DeletePushConfigRequest(task_id=task_id, id=config_id))

    async def card(self) -> dict[str, Any]:
        card = await self.handler.on_get_extended_agent_card()  # 0.3 fields from card_v03, schemes in proto form
        return pc.card_to_v03(card_v03(card) | {"securitySchemes": card.security_schemes})
