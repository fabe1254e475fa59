"""A2A over gRPC (grpc.aio): ``lf.a2a.v1.A2AService`` (spec 1.0) and ``a2a.v1.A2AService`` (0.3).

Both services are registered from their descriptors with generic handlers; each method decodes the
protobuf request into a domain request, calls the shared ``RequestHandler`` and encodes the result.
Every call needs ``authorization: Bearer <token>`` metadata (checked in constant time, failures
throttled per peer; the right token always passes) and is audited; a request that is not a valid
protobuf message is INVALID_ARGUMENT; ``a2a-version`` metadata, when sent, must name a supported
version that matches the service. Errors carry the table's status code, and for spec 1.0 a
``google.rpc.Status`` with an ``ErrorInfo`` detail in ``grpc-status-details-bin`` (spec §10.6).
"""

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import grpc
from google.protobuf import message_factory
from google.rpc import error_details_pb2, status_pb2

from ..a2a import pb
from ..a2a.domain import errors
from ..a2a.domain import types as t
from ..a2a.domain.context import CallContext
from ..a2a.domain.versions import V03, V1, negotiate
from ..a2a.pb._pool import Empty
from ..a2a.server.bound import BoundHandler
from ..a2a.server.handler import RequestHandler
from ..a2a.server.streams import MappedStream
from ..a2a.server.v03_ops import V03Operations
from ..a2a.wire import proto_convert as pc
from ..config.schema import A2ASection
from ..security.audit_writer import AuditWriter
from ..security.auth import FailureLimiter, TokenAuth
from ..security.principal import Authenticator, Principal, as_authenticator

log = logging.getLogger(__name__)

V1_SERVICE = "lf.a2a.v1.A2AService"
V03_SERVICE = "a2a.v1.A2AService"


def _dict(message) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(message)


# -- spec 1.0: ProtoJSON is the domain JSON --------------------------------------------------------


def _v1_methods() -> dict[str, Callable[[BoundHandler, Any], Awaitable[Any]]]:
    v1 = pb.v1()

    async def send(h, req):
        return pc.send_response_to_pb_v1(v1, await h.on_send_message(pc.from_pb(req, t.SendMessageRequest), V1))

    async def stream(h, req):
        events = await h.on_send_streaming_message(pc.from_pb(req, t.SendMessageRequest), V1)
        return MappedStream(events, lambda event: pc.stream_response_to_pb_v1(v1, event))

    async def subscribe(h, req):
        events = await h.on_subscribe_to_task(pc.from_pb(req, t.SubscribeToTaskRequest))
        return MappedStream(events, lambda event: pc.stream_response_to_pb_v1(v1, event))

    async def task(result: Awaitable[t.Task]):
        return pc.task_to_pb_v1(v1, await result)

    async def delete(h, req):
        await h.on_delete_push_config(pc.from_pb(req, t.DeletePushConfigRequest))
        return Empty()

    return {
        "SendMessage": send,
        "SendStreamingMessage": stream,
        "GetTask": lambda h, req: task(h.on_get_task(pc.from_pb(req, t.GetTaskRequest))),
        "ListTasks": lambda h, req: _then(h.on_list_tasks(pc.from_pb(req, t.ListTasksRequest)), v1.ListTasksResponse),
        "CancelTask": lambda h, req: task(h.on_cancel_task(pc.from_pb(req, t.CancelTaskRequest))),
        "SubscribeToTask": subscribe,
        "CreateTaskPushNotificationConfig": lambda h, req: _then(
            h.on_create_push_config(pc.from_pb(req, t.PushConfig), V1), v1.TaskPushNotificationConfig
        ),
        "GetTaskPushNotificationConfig": lambda h, req: _then(
            h.on_get_push_config(pc.from_pb(req, t.GetPushConfigRequest)), v1.TaskPushNotificationConfig
        ),
        "ListTaskPushNotificationConfigs": lambda h, req: _then(
            h.on_list_push_configs(pc.from_pb(req, t.ListPushConfigsRequest)),
            v1.ListTaskPushNotificationConfigsResponse,
        ),
        "DeleteTaskPushNotificationConfig": delete,
        "GetExtendedAgentCard": lambda h, req: _then(h.on_get_extended_agent_card(), v1.AgentCard),
    }


async def _then(result: Awaitable[Any], cls) -> Any:
    return pc.to_pb(await result, cls)


# -- spec 0.3: rewrite the JSON, resource names for ids ---------------------------------------------


def _v03_methods() -> dict[str, Callable[[BoundHandler, Any], Awaitable[Any]]]:
    v03 = pb.v0_3()
    ops = V03Operations

    def task_id(name: str) -> str:
        return pc.resource_ids(name, "tasks")[0]

    def config_ids(name: str) -> list[str]:
        return pc.resource_ids(name, "tasks", "pushNotificationConfigs")

    def events(stream: AsyncIterator[dict[str, Any]]):
        return MappedStream(stream, lambda event: pc.to_pb(event, v03.StreamResponse))

    async def stream(h, req):
        return events(await ops(h).stream(_dict(req)))

    async def subscribe(h, req):
        return events(await ops(h).subscribe(task_id(req.name)))

    async def delete(h, req):
        await ops(h).delete_push(*config_ids(req.name))
        return Empty()

    return {
        "SendMessage": lambda h, req: _then(ops(h).send(_dict(req)), v03.SendMessageResponse),
        "SendStreamingMessage": stream,
        "GetTask": lambda h, req: _then(ops(h).get_task(task_id(req.name), req.history_length or None), v03.Task),
        "CancelTask": lambda h, req: _then(ops(h).cancel(task_id(req.name)), v03.Task),
        "TaskSubscription": subscribe,
        "CreateTaskPushNotificationConfig": lambda h, req: _then(
            ops(h).create_push(task_id(req.parent), req.config_id, _dict(req.config)), v03.TaskPushNotificationConfig
        ),
        "GetTaskPushNotificationConfig": lambda h, req: _then(
            ops(h).get_push(*config_ids(req.name)), v03.TaskPushNotificationConfig
        ),
        "ListTaskPushNotificationConfig": lambda h, req: _then(
            ops(h).list_push(task_id(req.parent)), v03.ListTaskPushNotificationConfigResponse
        ),
        "DeleteTaskPushNotificationConfig": delete,
        "GetAgentCard": lambda h, req: _then(ops(h).card(), v03.AgentCard),
    }


# -- errors -----------------------------------------------------------------------------------------


def _abort_args(exc: errors.A2AError, version: str) -> tuple[grpc.StatusCode, str, tuple]:
    code = getattr(grpc.StatusCode, exc.mapping.grpc)
    if version != V1:  # 0.3 clients read the error type from the message text
        return code, f"{exc.kind}: {exc.message}", ()
    status = status_pb2.Status(code=code.value[0], message=exc.message)
    if exc.mapping.reason:
        detail = status.details.add()
        detail.Pack(error_details_pb2.ErrorInfo(reason=exc.mapping.reason, domain=errors.DOMAIN, metadata=exc.metadata))
    return code, exc.message, (("grpc-status-details-bin", status.SerializeToString()),)


class _Rpc:
    """Wraps one handler method: auth was checked by the interceptor; here version, errors, audit."""

    def __init__(self, server: "GrpcServer", service_version: str, name: str, call, streaming: bool) -> None:
        self.server = server
        self.version = service_version
        self.name = name
        self.call = call
        self.streaming = streaming

    def _check_version(self, context: grpc.aio.ServicerContext) -> None:
        sent = dict(context.invocation_metadata() or ()).get("a2a-version")
        if sent is not None and negotiate(sent) != self.version:
            raise errors.VersionNotSupportedError(
                f"a2a-version {sent!r} sent to the spec {self.version} service; call the "
                f"{V1_SERVICE if negotiate(sent) == V1 else V03_SERVICE} service instead"
            )

    async def _fail(self, context, exc: Exception, started: float, who: str) -> None:
        if not isinstance(exc, errors.A2AError):
            log.exception("gRPC %s failed", self.name)
            exc = errors.InternalError(f"Internal error: {type(exc).__name__}")
        self.server.audit_call(context, self.name, "error", exc.mapping.grpc, started, who)
        code, message, trailers = _abort_args(exc, self.version)
        await context.abort(code, message, trailing_metadata=trailers)

    def _caller(self, context: grpc.aio.ServicerContext) -> BoundHandler:
        principal = self.server.principal(context)
        return self.server.handler.bound(CallContext(principal=principal, version=self.version, transport="grpc"))

    async def unary(self, request, context):
        started = time.perf_counter()
        who = "?"
        try:
            self._check_version(context)
            _require_decoded(request)
            caller = self._caller(context)
            who = caller.call.principal.id
            result = await self.call(caller, request)
        except Exception as exc:
            await self._fail(context, exc, started, who)
        self.server.audit_call(context, self.name, "ok", "OK", started, who)
        return result

    async def stream(self, request, context):
        started = time.perf_counter()
        events = None
        who = "?"
        try:
            self._check_version(context)
            _require_decoded(request)
            caller = self._caller(context)
            who = caller.call.principal.id
            events = await self.call(caller, request)
            async for event in events:
                if event is not None:  # heartbeats are for HTTP streams; gRPC notices a gone client itself
                    yield event
        except Exception as exc:
            await self._fail(context, exc, started, who)
        finally:
            if events is not None:
                await events.aclose()
        self.server.audit_call(context, self.name, "ok", "OK", started, who)


class _Undecodable:
    """What the deserializer hands on for bytes that are not the method's request message: grpc.aio
    would answer a deserializer's exception with a bare INTERNAL, the handler raises InvalidParams."""

    def __init__(self, message_name: str, problem: str) -> None:
        self.message_name = message_name
        self.problem = problem


def _lenient(request_cls) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        try:
            return request_cls.FromString(data)
        except Exception as exc:  # DecodeError, or nesting past protobuf's recursion limit
            return _Undecodable(request_cls.DESCRIPTOR.full_name, str(exc) or type(exc).__name__)

    return parse


def _require_decoded(request: Any) -> None:
    if isinstance(request, _Undecodable):
        raise errors.InvalidParamsError(f"the request is not a valid {request.message_name}: {request.problem}")


def _address(peer: str | None) -> str:
    """The client's address without its port (``ipv4:127.0.0.1:5555`` -> ``127.0.0.1``): failed logins are
    counted per client, not per connection, which a guesser could renew at will."""
    kind, _, rest = unquote(peer or "unknown").partition(":")
    if kind in ("ipv4", "ipv6") and ":" in rest:
        return rest.rsplit(":", 1)[0].strip("[]")
    return peer or "unknown"


class _Auth(grpc.aio.ServerInterceptor):
    """Refuses (and audits) every call without the bearer token, whatever the method."""

    def __init__(self, server: "GrpcServer") -> None:
        self.server = server

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        metadata = dict(details.invocation_metadata or ())
        if self.server.auth.authenticate(metadata.get("authorization") or "") is not None:
            return handler
        server = self.server

        async def deny(request, context):
            peer = _address(context.peer())
            started = time.perf_counter()
            if server.limiter.blocked(peer):
                server.audit_refused(context, details.method, "RESOURCE_EXHAUSTED", started)
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many failed authentications; try later")
            server.limiter.failed(peer)
            server.audit_refused(context, details.method, "UNAUTHENTICATED", started)
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token: send 'authorization: Bearer <token>'"
            )

        async def deny_stream(request, context):
            await deny(request, context)
            yield  # pragma: no cover - abort raises first

        if handler is not None and handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(deny_stream)
        return grpc.unary_unary_rpc_method_handler(deny)


class GrpcServer:
    """The running grpc.aio server; ``port`` is the bound port (useful when asked for port 0)."""

    def __init__(
        self, handler: RequestHandler, auth: TokenAuth | Authenticator, audit: AuditWriter, limiter: FailureLimiter
    ) -> None:
        self.handler = handler
        self.auth = as_authenticator(auth)
        self.audit = audit
        self.limiter = limiter
        self.port = 0
        self._server: grpc.aio.Server | None = None

    @classmethod
    async def start(
        cls,
        handler: RequestHandler,
        auth: TokenAuth | Authenticator,
        audit: AuditWriter,
        settings: A2ASection,
        limiter: FailureLimiter | None = None,
    ) -> "GrpcServer":
        self = cls(handler, auth, audit, limiter or FailureLimiter())
        limit = settings.max_body_bytes
        server = grpc.aio.server(
            interceptors=[_Auth(self)],
            options=[("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", -1)],
        )
        for module, service_name, version, methods in (
            (pb.v1(), V1_SERVICE, V1, _v1_methods()),
            (pb.v0_3(), V03_SERVICE, V03, _v03_methods()),
        ):
            service = module.DESCRIPTOR.services_by_name["A2AService"]
            handlers = {}
            for method in service.methods:
                request_cls = message_factory.GetMessageClass(method.input_type)
                response_cls = message_factory.GetMessageClass(method.output_type)
                rpc = _Rpc(
                    self, version, f"/{service_name}/{method.name}", methods[method.name], method.server_streaming
                )
                factory = (
                    grpc.unary_stream_rpc_method_handler
                    if method.server_streaming
                    else grpc.unary_unary_rpc_method_handler
                )
                handlers[method.name] = factory(
                    rpc.stream if method.server_streaming else rpc.unary,
                    request_deserializer=_lenient(request_cls),
                    response_serializer=response_cls.SerializeToString,
                )
            server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service_name, handlers),))
        self.port = server.add_insecure_port(f"{settings.host}:{settings.grpc_port}")
        if self.port == 0:
            raise OSError(f"cannot listen for gRPC on {settings.host}:{settings.grpc_port}")
        await server.start()
        self._server = server
        return self

    def principal(self, context: grpc.aio.ServicerContext) -> Principal:
        """The caller (the interceptor already refused calls without a valid credential)."""
        authorization = dict(context.invocation_metadata() or ()).get("authorization") or ""
        principal = self.auth.authenticate(authorization)
        if principal is None:  # the credential was revoked between the interceptor and here
            raise errors.InvalidParamsError("the bearer token is no longer valid")
        return principal

    def audit_call(self, context, method: str, outcome: str, status: str, started: float, who: str) -> None:
        self.audit.record(
            f"{who}@grpc:{context.peer() or 'unknown'}",
            "rpc.call",
            method,
            outcome,
            detail=status,
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def audit_refused(self, context, method: str, status: str, started: float) -> None:
        peer = _address(context.peer())
        duration_ms = (time.perf_counter() - started) * 1000
        self.audit.refused(peer, f"grpc:{context.peer() or 'unknown'}", "rpc.call", method, status, duration_ms)

    async def stop(self, grace: float = 2.0) -> None:
        if self._server is not None:
            await self._server.stop(grace)
        await self.audit.flush()
