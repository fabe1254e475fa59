"""Interop driver: the official a2a-sdk 1.3.0 client runs a fixed scenario against an A2A server.

Run as a separate process (the SDK registers its protobuf files in the default descriptor pool, as ours do):

    python sdk_client.py --card-url URL --token TOKEN --protocol-version 1.0|0.3 --transport JSONRPC|GRPC
                         [--push-url URL]

``--card-url`` is the full card URL (``.../.well-known/agent-card.json``) or the agent's base URL. The bearer
token goes on every HTTP request (httpx default header) and in gRPC metadata (a client call interceptor).
The card's interfaces are narrowed to the one matching transport + version before the SDK's ClientFactory sees
it, because the factory otherwise always prefers a 1.0 interface.

Prints ONE JSON report: ``{"card": {...}, "selected_interface": {...}, "steps": [{"name", "ok", "detail"}]}``.
Exit code 0 when every step is ok, 1 otherwise. Reply texts are checked loosely (any non-empty artifact or
agent message text) because servers answer differently; states are checked exactly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import grpc
import httpx
from a2a.client import (
    A2ACardResolver,
    AuthInterceptor,
    Client,
    ClientCallContext,
    ClientCallInterceptor,
    ClientConfig,
    ClientFactory,
    CredentialService,
)
from a2a.client.interceptors import AfterArgs, BeforeArgs
from a2a.types.a2a_pb2 import (
    AgentCard,
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetExtendedAgentCardRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskPushNotificationConfig,
    TaskState,
)
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH
from a2a.utils.errors import ExtendedAgentCardNotConfiguredError, TaskNotFoundError, UnsupportedOperationError
from google.protobuf.json_format import MessageToDict

TERMINAL = {
    TaskState.TASK_STATE_COMPLETED,
    TaskState.TASK_STATE_CANCELED,
    TaskState.TASK_STATE_FAILED,
    TaskState.TASK_STATE_REJECTED,
}
CALL_TIMEOUT = 30.0


class StepFailed(Exception):
    """A step's assertion failed; carries the detail gathered so far."""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


def state_name(state: int) -> str:
    return TaskState.Name(state)


def texts(parts: Any) -> list[str]:
    return [p.text for p in parts if p.WhichOneof("content") == "text" and p.text]


def task_texts(task: Task) -> dict[str, list[str]]:
    """Non-empty texts the agent produced: artifacts, status message, agent messages in history."""
    artifact = [t for a in task.artifacts for t in texts(a.parts)]
    status = texts(task.status.message.parts) if task.status.HasField("message") else []
    agent_history = [t for m in task.history if m.role == Role.ROLE_AGENT for t in texts(m.parts)]
    return {"artifacts": artifact, "status_message": status, "agent_history": agent_history}


def user_message(text: str) -> Message:
    return Message(role=Role.ROLE_USER, message_id=f"sdk-client-{uuid.uuid4()}", parts=[Part(text=text)])


def event_kind(event: StreamResponse) -> str:
    return event.WhichOneof("payload") or "empty"


def event_summary(event: StreamResponse) -> dict[str, Any]:
    kind = event_kind(event)
    out: dict[str, Any] = {"kind": kind}
    if kind == "task":
        out |= {"task_id": event.task.id, "state": state_name(event.task.status.state)}
    elif kind == "status_update":
        out |= {"task_id": event.status_update.task_id, "state": state_name(event.status_update.status.state)}
        if event.status_update.status.HasField("message"):
            out["text"] = texts(event.status_update.status.message.parts)
    elif kind == "artifact_update":
        out |= {"task_id": event.artifact_update.task_id, "text": texts(event.artifact_update.artifact.parts)}
    elif kind == "message":
        out |= {"role": Role.Name(event.message.role), "text": texts(event.message.parts)}
    return out


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


class BearerInterceptor(ClientCallInterceptor):
    """Puts ``Authorization: Bearer`` in every call's service parameters (HTTP headers / gRPC metadata)."""

    def __init__(self, token: str) -> None:
        self._value = f"Bearer {token}"

    async def before(self, args: BeforeArgs) -> None:
        if args.context is None:
            args.context = ClientCallContext()
        if args.context.service_parameters is None:
            args.context.service_parameters = {}
        args.context.service_parameters.setdefault("Authorization", self._value)

    async def after(self, args: AfterArgs) -> None:
        return None


class StaticCredentials(CredentialService):
    """One token for every security scheme; lets the SDK's own AuthInterceptor decide how to send it."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_credentials(self, security_scheme_name: str, context: ClientCallContext | None) -> str | None:
        return self._token


def card_declares_bearer(card: AgentCard) -> bool:
    for requirement in card.security_requirements:
        for name in requirement.schemes:
            scheme = card.security_schemes.get(name)
            if scheme is None:
                continue
            if scheme.HasField("http_auth_security_scheme") and scheme.http_auth_security_scheme.scheme.lower() == (
                "bearer"
            ):
                return True
            if scheme.HasField("oauth2_security_scheme") or scheme.HasField("open_id_connect_security_scheme"):
                return True
    return False


def split_card_url(card_url: str) -> tuple[str, str]:
    parts = urlsplit(card_url)
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path if parts.path.endswith(".json") else parts.path.rstrip("/") + AGENT_CARD_WELL_KNOWN_PATH
    return base, path


def version_matches(iface_version: str, wanted: str) -> bool:
    # An interface without a version counts as 1.0 for the SDK's factory only as a last resort; require a match.
    got = iface_version.split(".")[:2]
    return got == wanted.split(".")[:2]


class Scenario:
    """Runs the steps in order; each step records ok/detail and never stops the others."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.steps: list[dict[str, Any]] = []
        self.card_summary: dict[str, Any] = {}
        self.selected: dict[str, Any] | None = None
        self.http: httpx.AsyncClient | None = None
        self.card: AgentCard | None = None
        self.unary: Client | None = None
        self.streaming: Client | None = None
        self.ids: dict[str, str] = {}

    async def step(self, name: str, fn: Callable[[], Awaitable[dict[str, Any]]], *, needs_client: bool = True) -> None:
        started = time.monotonic()
        entry: dict[str, Any] = {"name": name}
        if needs_client and (self.unary is None or self.streaming is None):
            entry |= {"ok": False, "detail": {"error": "no SDK client (card fetch or client creation failed)"}}
        else:
            try:
                detail = await asyncio.wait_for(fn(), timeout=90)
                entry |= {"ok": not detail.pop("_fail", False), "detail": detail}
            except StepFailed as exc:
                entry |= {"ok": False, "detail": {"error": str(exc), **exc.detail}}
            except BaseException as exc:  # every failure is a report line, never a crash
                if isinstance(exc, KeyboardInterrupt):
                    raise
                entry |= {
                    "ok": False,
                    "detail": {"error": error_text(exc), "traceback": traceback.format_exc(limit=6).splitlines()},
                }
        entry["seconds"] = round(time.monotonic() - started, 3)
        self.steps.append(entry)

    # --- setup -------------------------------------------------------------------------------------------------

    async def fetch_card(self) -> dict[str, Any]:
        args = self.args
        base, path = split_card_url(args.card_url)
        raw = await self.http.get(f"{base}{path}")
        raw_keys = sorted(raw.json().keys()) if raw.status_code == 200 else None
        card = await A2ACardResolver(self.http, base).get_agent_card(relative_card_path=path)
        self.card = card
        card_dict = MessageToDict(card)
        self.card_summary = {
            "name": card.name,
            "version": card.version,
            "http_status": raw.status_code,
            "raw_top_level_keys": raw_keys,
            "interfaces": card_dict.get("supportedInterfaces", []),
            "capabilities": card_dict.get("capabilities", {}),
            "security_schemes": sorted(card.security_schemes.keys()),
            "declares_bearer": card_declares_bearer(card),
        }
        wanted = [
            i
            for i in card.supported_interfaces
            if i.protocol_binding == args.transport and version_matches(i.protocol_version, args.protocol_version)
        ]
        if not wanted:
            raise StepFailed(
                f"card lists no {args.transport} interface for protocol {args.protocol_version}",
                {"card": self.card_summary},
            )
        chosen = wanted[0]
        self.selected = MessageToDict(chosen)
        narrowed = AgentCard()
        narrowed.CopyFrom(card)
        del narrowed.supported_interfaces[:]
        narrowed.supported_interfaces.append(chosen)
        self.unary = self._make_client(narrowed, streaming=False)
        self.streaming = self._make_client(narrowed, streaming=True)
        return {
            "selected_interface": self.selected,
            "auth": "sdk AuthInterceptor" if self.card_summary["declares_bearer"] else "static bearer interceptor",
            "streaming_capability": card.capabilities.streaming,
            "transport_class": type(self.unary._transport).__name__,  # proves which SDK transport
        }

    def _make_client(self, card: AgentCard, *, streaming: bool) -> Client:
        config = ClientConfig(
            streaming=streaming,
            httpx_client=self.http,
            grpc_channel_factory=lambda url: grpc.aio.insecure_channel(urlsplit(url).netloc or url),  # URL -> host:port
            supported_protocol_bindings=[self.args.transport],
        )
        # The SDK's AuthInterceptor only acts when the card declares a bearer-style scheme (that path is worth
        # exercising); the static interceptor (setdefault) guarantees the header/metadata either way.
        interceptors: list[ClientCallInterceptor] = [BearerInterceptor(self.args.token)]
        if card_declares_bearer(card):
            interceptors.insert(0, AuthInterceptor(StaticCredentials(self.args.token)))
        return ClientFactory(config).create(card, interceptors=interceptors)

    def ctx(self) -> ClientCallContext:
        return ClientCallContext(timeout=CALL_TIMEOUT)

    # --- helpers -----------------------------------------------------------------------------------------------

    async def start_slow(self) -> Task:
        """Send "slow" non-blocking; return the task once the server reports it WORKING."""
        request = SendMessageRequest(
            message=user_message("slow"), configuration=SendMessageConfiguration(return_immediately=True)
        )
        events = [e async for e in self.unary.send_message(request, context=self.ctx())]
        if len(events) != 1 or event_kind(events[0]) != "task":
            raise StepFailed("non-blocking send did not return a task", {"events": [event_summary(e) for e in events]})
        task = events[0].task
        return await self.wait_for_state(task.id, {TaskState.TASK_STATE_WORKING} | TERMINAL, first=task)

    async def wait_for_state(
        self, task_id: str, states: set[int], first: Task | None = None, limit: float = 10
    ) -> Task:
        task = first
        deadline = time.monotonic() + limit
        while task is None or task.status.state not in states:
            if time.monotonic() > deadline:
                raise StepFailed(
                    f"task {task_id} never reached {[state_name(s) for s in states]}",
                    {"last_state": state_name(task.status.state) if task else None},
                )
            await asyncio.sleep(0.05)
            task = await self.unary.get_task(GetTaskRequest(id=task_id), context=self.ctx())
        return task

    async def cancel_quietly(self, task_id: str) -> None:
        with contextlib.suppress(Exception):  # cleanup only
            await self.unary.cancel_task(CancelTaskRequest(id=task_id), context=self.ctx())

    # --- steps -------------------------------------------------------------------------------------------------

    async def send_blocking(self) -> dict[str, Any]:
        request = SendMessageRequest(message=user_message("hello"))
        events = [e async for e in self.unary.send_message(request, context=self.ctx())]
        detail: dict[str, Any] = {"events": [event_summary(e) for e in events]}
        if len(events) != 1 or event_kind(events[0]) != "task":
            raise StepFailed("blocking send did not return exactly one task", detail)
        task = events[0].task
        self.ids["send"] = task.id
        found = task_texts(task)
        detail |= {"task_id": task.id, "state": state_name(task.status.state), "texts": found}
        if task.status.state != TaskState.TASK_STATE_COMPLETED:
            raise StepFailed("task not completed", detail)
        if not found["artifacts"]:
            raise StepFailed("completed task has no artifact text", detail)
        return detail

    async def message_reply(self) -> dict[str, Any]:
        """The server's executor answers "reply ..." with a message only: one Message, unary and streamed."""
        request = SendMessageRequest(message=user_message("reply hi"))
        unary = [e async for e in self.unary.send_message(request, context=self.ctx())]
        request = SendMessageRequest(message=user_message("reply streamed"))
        streamed = [e async for e in self.streaming.send_message(request, context=self.ctx())]
        detail = {"unary": [event_summary(e) for e in unary], "streamed": [event_summary(e) for e in streamed]}
        if [(s["kind"], s.get("text")) for s in detail["unary"]] != [("message", ["reply: reply hi"])]:
            raise StepFailed("SendMessage did not return the one reply message", detail)
        if [(s["kind"], s.get("text")) for s in detail["streamed"]] != [("message", ["reply: reply streamed"])]:
            raise StepFailed("the stream did not carry exactly the one reply message", detail)
        return detail

    async def subscribe_waiting(self) -> dict[str, Any]:
        """A subscription to an input-required task stays open through the follow-up to the completion."""
        request = SendMessageRequest(message=user_message("ask me"))
        sent = [e async for e in self.unary.send_message(request, context=self.ctx())]
        task = sent[0].task
        events: list[dict[str, Any]] = []
        first = asyncio.Event()

        async def consume() -> None:
            async for event in self.streaming.subscribe(SubscribeToTaskRequest(id=task.id), context=self.ctx()):
                events.append(event_summary(event))
                first.set()

        consumer = asyncio.create_task(consume())
        try:
            await asyncio.wait_for(first.wait(), timeout=CALL_TIMEOUT)
            follow = user_message("notes.md")
            follow.task_id, follow.context_id = task.id, task.context_id
            [e async for e in self.unary.send_message(SendMessageRequest(message=follow), context=self.ctx())]
            await asyncio.wait_for(consumer, timeout=CALL_TIMEOUT)
        finally:
            consumer.cancel()
        detail = {"task_id": task.id, "events": events, "states": [e["state"] for e in events if "state" in e]}
        if detail["states"][:1] != [state_name(TaskState.TASK_STATE_INPUT_REQUIRED)]:
            raise StepFailed("the subscription did not start with the waiting task", detail)
        if detail["states"][-1] != state_name(TaskState.TASK_STATE_COMPLETED):
            raise StepFailed("the subscription closed before the task completed", detail)
        return detail

    async def stream(self) -> dict[str, Any]:
        request = SendMessageRequest(message=user_message("hello"))
        events = [e async for e in self.streaming.send_message(request, context=self.ctx())]
        summaries = [event_summary(e) for e in events]
        kinds = [s["kind"] for s in summaries]
        states = [s["state"] for s in summaries if "state" in s]
        task_ids = {s["task_id"] for s in summaries if s.get("task_id")}
        reply = [
            t
            for s in summaries
            if s["kind"] in ("artifact_update", "status_update", "message")
            for t in s.get("text", [])
        ]
        detail = {
            "kinds": kinds,
            "states": states,
            "task_ids": sorted(task_ids),
            "reply_texts": reply,
            "events": summaries,
        }
        if task_ids:
            self.ids["stream"] = next(iter(task_ids))
        if len(task_ids) > 1:
            raise StepFailed("stream events name more than one task", detail)
        if not states or states[-1] != state_name(TaskState.TASK_STATE_COMPLETED):
            raise StepFailed("stream did not end in TASK_STATE_COMPLETED", detail)
        if not reply:
            raise StepFailed("stream carried no artifact or agent message text", detail)
        detail["final_state"] = states[-1]
        return detail

    async def get_task(self) -> dict[str, Any]:
        task_id = self.ids.get("send") or self.ids.get("stream")
        if not task_id:
            raise StepFailed("no task id from send/stream")
        task = await self.unary.get_task(GetTaskRequest(id=task_id, history_length=1), context=self.ctx())
        detail = {
            "task_id": task.id,
            "state": state_name(task.status.state),
            "history_len": len(task.history),
            "artifact_count": len(task.artifacts),
            "texts": task_texts(task),
        }
        if task.id != task_id:
            raise StepFailed("returned a different task", detail)
        if task.status.state != TaskState.TASK_STATE_COMPLETED:
            raise StepFailed("task not completed", detail)
        if len(task.history) > 1:
            raise StepFailed("historyLength=1 not honoured", detail)
        return detail

    async def list_tasks(self) -> dict[str, Any]:
        if self.args.protocol_version.startswith("0."):
            try:
                await self.unary.list_tasks(ListTasksRequest(page_size=10), context=self.ctx())
            except NotImplementedError as exc:
                return {"skipped": True, "reason": "spec 0.3 has no ListTasks", "sdk": error_text(exc)}
            return {"_fail": True, "error": "SDK 0.3 transport unexpectedly sent ListTasks"}
        wanted = {v for v in (self.ids.get("send"), self.ids.get("stream")) if v}
        seen: list[str] = []
        token = ""
        pages = 0
        response = None
        while pages < 10:
            response = await self.unary.list_tasks(ListTasksRequest(page_size=50, page_token=token), context=self.ctx())
            pages += 1
            seen += [t.id for t in response.tasks]
            token = response.next_page_token
            if wanted <= set(seen) or not token:
                break
        detail = {
            "pages": pages,
            "tasks_seen": len(seen),
            "total_size": response.total_size if response else None,
            "page_size": response.page_size if response else None,
            "found": sorted(wanted & set(seen)),
            "missing": sorted(wanted - set(seen)),
        }
        if not seen:
            raise StepFailed("ListTasks returned no tasks", detail)
        if wanted - set(seen):
            raise StepFailed("tasks created earlier are not listed", detail)
        return detail

    async def cancel(self) -> dict[str, Any]:
        task = await self.start_slow()
        detail: dict[str, Any] = {"task_id": task.id, "state_before": state_name(task.status.state)}
        if task.status.state in TERMINAL:
            raise StepFailed("slow task finished before it could be canceled", detail)
        canceled = await self.unary.cancel_task(CancelTaskRequest(id=task.id), context=self.ctx())
        detail["cancel_result_state"] = state_name(canceled.status.state)
        after = await self.unary.get_task(GetTaskRequest(id=task.id), context=self.ctx())
        detail["state_after"] = state_name(after.status.state)
        detail["texts"] = task_texts(after)
        if (
            canceled.status.state != TaskState.TASK_STATE_CANCELED
            or after.status.state != TaskState.TASK_STATE_CANCELED
        ):
            raise StepFailed("task not canceled", detail)
        return detail

    async def subscribe(self) -> dict[str, Any]:
        task = await self.start_slow()
        detail: dict[str, Any] = {"task_id": task.id, "state_before": state_name(task.status.state)}
        if task.status.state in TERMINAL:
            raise StepFailed("slow task finished before subscribing", detail)
        events: list[dict[str, Any]] = []
        first = asyncio.Event()

        async def consume() -> None:
            stream = self.streaming.subscribe(SubscribeToTaskRequest(id=task.id), context=ClientCallContext())
            async for event in stream:
                events.append(event_summary(event))
                first.set()

        consumer = asyncio.create_task(consume())
        try:
            try:
                await asyncio.wait_for(first.wait(), timeout=5)
                detail["first_event_before_cancel"] = True
            except TimeoutError:
                detail["first_event_before_cancel"] = False
            if consumer.done():
                consumer.result()  # surfaces an error raised by subscribe
            canceled = await self.unary.cancel_task(CancelTaskRequest(id=task.id), context=self.ctx())
            detail["cancel_result_state"] = state_name(canceled.status.state)
            try:
                await asyncio.wait_for(asyncio.shield(consumer), timeout=10)
                detail["stream_closed"] = True
            except TimeoutError:
                detail["stream_closed"] = False
        finally:
            if not consumer.done():
                consumer.cancel()
            try:
                await consumer
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                detail["subscribe_error"] = error_text(exc)
        detail["events"] = events
        detail["states"] = [e["state"] for e in events if "state" in e]
        if "subscribe_error" in detail:
            raise StepFailed("subscription raised", detail)
        if state_name(TaskState.TASK_STATE_CANCELED) not in detail["states"]:
            raise StepFailed("canceled state not observed on the subscription", detail)
        return detail

    async def push_config(self) -> dict[str, Any]:
        task = await self.start_slow()
        url = self.args.push_url
        cfg_id = f"cfg-{uuid.uuid4().hex[:8]}"
        detail: dict[str, Any] = {"task_id": task.id, "config_id": cfg_id, "url": url}
        problems: list[str] = []
        try:
            created = await self.unary.create_task_push_notification_config(
                TaskPushNotificationConfig(task_id=task.id, id=cfg_id, url=url, token="push-token"),
                context=self.ctx(),
            )
            detail["created"] = MessageToDict(created)
            if created.url != url or created.task_id != task.id:
                problems.append("create echoed a different url/task")
            got_id = created.id or cfg_id
            detail["server_config_id"] = got_id
            got = await self.unary.get_task_push_notification_config(
                GetTaskPushNotificationConfigRequest(task_id=task.id, id=got_id), context=self.ctx()
            )
            detail["got"] = MessageToDict(got)
            if got.url != url or got.id != got_id:
                problems.append("get returned a different config")
            listed = await self.unary.list_task_push_notification_configs(
                ListTaskPushNotificationConfigsRequest(task_id=task.id), context=self.ctx()
            )
            detail["listed_ids"] = [c.id for c in listed.configs]
            if got_id not in detail["listed_ids"]:
                problems.append("list does not contain the config")
            await self.unary.delete_task_push_notification_config(
                DeleteTaskPushNotificationConfigRequest(task_id=task.id, id=got_id), context=self.ctx()
            )
            after = await self.unary.list_task_push_notification_configs(
                ListTaskPushNotificationConfigsRequest(task_id=task.id), context=self.ctx()
            )
            detail["listed_after_delete"] = [c.id for c in after.configs]
            if got_id in detail["listed_after_delete"]:
                problems.append("config still listed after delete")
        finally:
            await self.cancel_quietly(task.id)
        if problems:
            raise StepFailed("; ".join(problems), detail)
        return detail

    async def task_not_found(self) -> dict[str, Any]:
        missing = f"no-such-task-{uuid.uuid4()}"
        try:
            task = await self.unary.get_task(GetTaskRequest(id=missing), context=self.ctx())
        except TaskNotFoundError as exc:
            return {"task_id": missing, "error": error_text(exc)}
        except Exception as exc:
            raise StepFailed("expected TaskNotFoundError", {"task_id": missing, "got": error_text(exc)}) from exc
        raise StepFailed("nonexistent task was returned", {"task_id": missing, "got": MessageToDict(task)})

    async def extended_card(self) -> dict[str, Any]:
        declared = self.card.capabilities.extended_agent_card if self.card else None
        detail: dict[str, Any] = {"card_declares_extended": declared}
        # SDK 1.3.0: JSON-RPC (both versions) and 1.0 gRPC return the cached public card without a network call
        # when capabilities.extendedAgentCard is false; 0.3 gRPC always calls GetAgentCard.
        try:
            card = await self.unary.get_extended_agent_card(GetExtendedAgentCardRequest(), context=self.ctx())
        except (ExtendedAgentCardNotConfiguredError, UnsupportedOperationError) as exc:
            return detail | {"outcome": "a2a error", "error": error_text(exc)}
        except Exception as exc:
            return detail | {"outcome": "unexpected error", "error": error_text(exc), "_fail": True}
        detail["outcome"] = "card"
        detail["name"] = card.name
        detail["interfaces"] = len(card.supported_interfaces)
        if not card.name:
            detail["_fail"] = True
        return detail

    async def run(self) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.args.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(CALL_TIMEOUT)) as http:
            self.http = http
            await self.step("fetch_card", self.fetch_card, needs_client=False)
            await self.step("send_blocking", self.send_blocking)
            await self.step("stream", self.stream)
            await self.step("get_task_history_1", self.get_task)
            await self.step("list_tasks", self.list_tasks)
            await self.step("cancel_running", self.cancel)
            await self.step("subscribe_then_cancel", self.subscribe)
            await self.step("message_reply", self.message_reply)
            await self.step("subscribe_waiting", self.subscribe_waiting)
            await self.step("push_config_crud", self.push_config)
            await self.step("get_missing_task", self.task_not_found)
            await self.step("extended_card", self.extended_card)
            for client in (self.unary, self.streaming):
                if client is not None:
                    with contextlib.suppress(Exception):  # closing is best effort
                        await client.close()
        return {
            "protocol_version": self.args.protocol_version,
            "transport": self.args.transport,
            "card": self.card_summary,
            "selected_interface": self.selected,
            "steps": self.steps,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--card-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--protocol-version", required=True, choices=["1.0", "0.3"])
    parser.add_argument("--transport", required=True, choices=["JSONRPC", "GRPC"])
    parser.add_argument("--push-url", default="http://127.0.0.1:9/hook")
    args = parser.parse_args(argv)
    report = asyncio.run(Scenario(args).run())
    sys.stdout.write(json.dumps(report, default=str) + "\n")
    sys.stdout.flush()
    return 0 if report["steps"] and all(s["ok"] for s in report["steps"]) else 1


if __name__ == "__main__":
    sys.exit(main())
