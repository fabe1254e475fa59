"""The client's gRPC transport (grpc.aio): ``lf.a2a.v1.A2AService`` (spec 1.0) or ``a2a.v1.A2AService`` (0.3).

Methods are called by path with the generated message classes (there are no ``_pb2_grpc`` stubs);
every call carries ``authorization`` and ``a2a-version`` metadata. Spec 1.0's protobuf JSON is the
domain JSON; 0.3's is rewritten by ``proto_convert``, with resource names (``tasks/{id}``) for ids.
A failed call becomes the A2AError its ``ErrorInfo`` reason (1.0) or ``"Kind: text"`` status (0.3) names.
"""

from collections.abc import AsyncIterator
from typing import Any

import grpc
import msgspec
from google.protobuf import json_format, message_factory
from google.rpc import error_details_pb2, status_pb2

from .. import pb
from ..domain import errors
from ..domain import types as t
from ..domain.versions import V1
from ..wire import proto_convert as pc
from ..wire import v03_model as m
from . import decode
from .errors import A2AClientError, A2AConnectionError, auth_error, from_grpc

SERVICES = {"1.0": "lf.a2a.v1.A2AService", "0.3": "a2a.v1.A2AService"}
_to_dict = msgspec.to_builtins


def _channel(target: str) -> grpc.aio.Channel:
    options = [("grpc.max_receive_message_length", -1)]  # task histories can be long; the server caps requests
    for scheme in ("grpcs://", "https://"):
        if target.startswith(scheme):
            return grpc.aio.secure_channel(target.removeprefix(scheme), grpc.ssl_channel_credentials(), options)
    for scheme in ("grpc://", "http://"):
        target = target.removeprefix(scheme)
    return grpc.aio.insecure_channel(target.rstrip("/"), options)


def _message(reply) -> dict[str, Any]:
    return json_format.MessageToDict(reply)


class GrpcTransport:
    """One gRPC interface: a channel to ``target`` and the service of one spec version."""

    def __init__(
        self, target: str, version: str, *, token: str | None, token_source: str, timeout: float | None
    ) -> None:
        self.target = target
        self.v1 = version == V1
        self.service = SERVICES[version]
        self.token_source = token_source
        self.timeout = timeout
        self._descriptor = (pb.v1() if self.v1 else pb.v0_3()).DESCRIPTOR.services_by_name["A2AService"]
        self.metadata = ((("authorization", f"Bearer {token}"),) if token else ()) + (("a2a-version", version),)
        self.channel = _channel(target)
        self._calls: dict[str, tuple[type, Any]] = {}

    async def close(self) -> None:
        await self.channel.close()

    # -- the wire ---------------------------------------------------------------------------------

    def _callable(self, name: str) -> tuple[type, Any]:
        if name not in self._calls:
            method = self._descriptor.methods_by_name[name]
            request_cls = message_factory.GetMessageClass(method.input_type)
            response_cls = message_factory.GetMessageClass(method.output_type)
            factory = self.channel.unary_stream if method.server_streaming else self.channel.unary_unary
            call = factory(
                f"/{self.service}/{name}",
                request_serializer=request_cls.SerializeToString,
                response_deserializer=response_cls.FromString,
            )
            self._calls[name] = (request_cls, call)
        return self._calls[name]

    async def _unary(self, name: str, request: Any) -> dict[str, Any]:
        request_cls, call = self._callable(name)
        try:
            reply = await call(pc.to_pb(request, request_cls), metadata=self.metadata, timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            raise self._error(exc, name) from None
        return _message(reply)

    async def _stream(self, name: str, request: Any) -> AsyncIterator[dict[str, Any]]:
        request_cls, call = self._callable(name)
        rpc = call(pc.to_pb(request, request_cls), metadata=self.metadata)
        try:
            async for reply in rpc:
                yield _message(reply)
        except grpc.aio.AioRpcError as exc:
            raise self._error(exc, name) from None
        finally:
            rpc.cancel()  # a no-op once the stream ended; stops it when the reader leaves early

    def _error(self, exc: grpc.aio.AioRpcError, name: str) -> Exception:
        code, details = exc.code(), exc.details() or ""
        where = f"{self.target} (gRPC {self.service})"
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            return auth_error(where, self.token_source, details)
        if code is grpc.StatusCode.UNAVAILABLE:
            return A2AConnectionError(
                f"cannot reach the agent at {where}: {details}", "is it running, and is the address right?"
            )
        if code is grpc.StatusCode.DEADLINE_EXCEEDED:
            limit = f" within {self.timeout:g} s" if self.timeout else ""
            return A2AConnectionError(f"the agent at {where} did not answer {name}{limit}")
        if code is grpc.StatusCode.CANCELLED:
            return A2AConnectionError(f"the {name} call to {where} was cancelled: {details}")
        if code is grpc.StatusCode.RESOURCE_EXHAUSTED and "authentication" in details:
            return A2AClientError(f"the agent at {where} refuses this address for now: {details}")
        reason, metadata = "", None
        for key, value in exc.trailing_metadata() or ():
            if key == "grpc-status-details-bin" and isinstance(value, bytes):
                status = status_pb2.Status.FromString(value)
                for detail in status.details:
                    if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                        info = error_details_pb2.ErrorInfo()
                        detail.Unpack(info)
                        reason, metadata = info.reason, dict(info.metadata)
        if code is grpc.StatusCode.UNIMPLEMENTED and not reason:
            return errors.MethodNotFoundError(
                f"the agent at {self.target} does not serve {self.service}/{name}: {details}"
            )
        return from_grpc(code.name, details, reason, metadata)

    # -- operations (named as RequestHandler's) ---------------------------------------------------

    async def send_message(self, request: t.SendMessageRequest) -> t.Task | t.Message | None:
        if self.v1:
            data = await self._unary("SendMessage", request)
        else:
            sent_v03 = await self._unary("SendMessage", m.send_request_to(_to_dict(request), pc.PROTO))
            data = m.event_from(sent_v03, pc.PROTO)
        sent = decode.reply(data, t.SendMessageResponse, "SendMessage")
        return sent.task or sent.message

    async def send_streaming_message(self, request: t.SendMessageRequest) -> AsyncIterator[t.StreamResponse]:
        if self.v1:
            return self._events("SendStreamingMessage", request)
        return self._events("SendStreamingMessage", m.send_request_to(_to_dict(request), pc.PROTO))

    async def subscribe(self, request: t.SubscribeToTaskRequest) -> AsyncIterator[t.StreamResponse]:
        if self.v1:
            return self._events("SubscribeToTask", request)
        return self._events("TaskSubscription", {"name": f"tasks/{request.id}"})

    async def _events(self, name: str, request: Any) -> AsyncIterator[t.StreamResponse]:
        async for data in self._stream(name, request):
            yield decode.reply(data if self.v1 else m.event_from(data, pc.PROTO), t.StreamResponse, name)

    async def get_task(self, request: t.GetTaskRequest) -> t.Task:
        if self.v1:
            return decode.reply(await self._unary("GetTask", request), t.Task, "GetTask")
        query = {"name": f"tasks/{request.id}", "historyLength": request.history_length or 0}
        return decode.reply(m.task_from(await self._unary("GetTask", query), pc.PROTO), t.Task, "GetTask")

    async def list_tasks(self, request: t.ListTasksRequest) -> t.ListTasksResponse:
        return decode.list_tasks(await self._unary("ListTasks", request))

    async def cancel_task(self, request: t.CancelTaskRequest) -> t.Task:
        if self.v1:
            return decode.reply(await self._unary("CancelTask", request), t.Task, "CancelTask")
        data = await self._unary("CancelTask", {"name": f"tasks/{request.id}"})
        return decode.reply(m.task_from(data, pc.PROTO), t.Task, "CancelTask")

    async def create_push_config(self, config: t.PushConfig) -> t.PushConfig:
        if self.v1:
            data = await self._unary("CreateTaskPushNotificationConfig", config)
            return decode.reply(data, t.PushConfig, "CreateTaskPushNotificationConfig")
        request = {
            "parent": f"tasks/{config.task_id}",
            "configId": config.id,
            "config": pc.push_config_pb_json(_to_dict(config)),
        }
        return self._push_from_v03(await self._unary("CreateTaskPushNotificationConfig", request))

    async def get_push_config(self, request: t.GetPushConfigRequest) -> t.PushConfig:
        if self.v1:
            data = await self._unary("GetTaskPushNotificationConfig", request)
            return decode.reply(data, t.PushConfig, "GetTaskPushNotificationConfig")
        name = f"tasks/{request.task_id}/pushNotificationConfigs/{request.id}"
        return self._push_from_v03(await self._unary("GetTaskPushNotificationConfig", {"name": name}))

    async def list_push_configs(self, request: t.ListPushConfigsRequest) -> t.ListPushConfigsResponse:
        if self.v1:
            return decode.push_configs(await self._unary("ListTaskPushNotificationConfigs", request))
        data = await self._unary("ListTaskPushNotificationConfig", {"parent": f"tasks/{request.task_id}"})
        return t.ListPushConfigsResponse(configs=[self._push_from_v03(item) for item in data.get("configs", [])])

    async def delete_push_config(self, request: t.DeletePushConfigRequest) -> None:
        if self.v1:
            await self._unary("DeleteTaskPushNotificationConfig", request)
        else:
            name = f"tasks/{request.task_id}/pushNotificationConfigs/{request.id}"
            await self._unary("DeleteTaskPushNotificationConfig", {"name": name})

    async def extended_card(self) -> t.AgentCard:
        if self.v1:
            return decode.card(await self._unary("GetExtendedAgentCard", {}), "GetExtendedAgentCard")
        return decode.card(pc.card_from_v03(await self._unary("GetAgentCard", {})), "GetAgentCard")

    @staticmethod
    def _push_from_v03(data: dict[str, Any]) -> t.PushConfig:
        try:
            task_id, config_id = pc.resource_ids(data.get("name", ""), "tasks", "pushNotificationConfigs")
        except errors.InvalidParamsError as exc:
            raise errors.InvalidAgentResponseError(f"the agent sent a push config with a bad name: {exc}") from exc
        config = m.push_from(data.get("pushNotificationConfig", {}), task_id, config_id)
        return decode.reply(config, t.PushConfig, "push config")
