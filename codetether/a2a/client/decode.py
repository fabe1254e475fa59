"""A peer's replies as domain types, for every transport the client speaks.

Strict where the spec is (a wrong type is the peer's fault: :class:`InvalidAgentResponseError`),
lenient where ProtoJSON is: a protobuf-backed server leaves out fields that hold their default
(``totalSize: 0``, an empty ``configs`` list, a skill without tags), which the domain types, written
for what *we* send, would otherwise call missing.
"""

from typing import Any, TypeVar

import msgspec

from ..domain import errors
from ..domain import types as t

T = TypeVar("T")


def reply(data: Any, kind: type[T], what: str) -> T:
    """``data`` (JSON builtins) as ``kind``; a mismatch is the agent's fault, said with ``what`` it answered."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise errors.InvalidAgentResponseError(
            f"the agent's answer to {what} does not fit the A2A spec: {exc}"
        ) from exc


def json_reply(raw: bytes, kind: type[T], what: str) -> T:
    """Raw JSON as ``kind`` in one step (the JSON-RPC path)."""
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise errors.InvalidAgentResponseError(
            f"the agent's answer to {what} does not fit the A2A spec: {exc}"
        ) from exc
    except msgspec.DecodeError as exc:
        raise errors.InvalidAgentResponseError(f"the agent's answer to {what} is not JSON: {exc}") from exc


def list_tasks(data: Any) -> t.ListTasksResponse:
    if isinstance(data, dict):
        data = {"tasks": [], "nextPageToken": "", "pageSize": 0, "totalSize": 0, **data}
    return reply(data, t.ListTasksResponse, "ListTasks")


def push_configs(data: Any) -> t.ListPushConfigsResponse:
    if isinstance(data, dict):
        data = {"configs": [], **data}
    return reply(data, t.ListPushConfigsResponse, "ListTaskPushNotificationConfigs")


def card(data: Any, what: str) -> t.AgentCard:
    """An agent card (either spec's JSON, or a protobuf card's dict) as the domain card."""
    if isinstance(data, dict):
        data = {"name": "", "description": "", "version": "", **data}
        skills = data.get("skills")
        if isinstance(skills, list):
            data["skills"] = [
                {"id": "", "name": "", "description": "", "tags": [], **skill} if isinstance(skill, dict) else skill
                for skill in skills
            ]
    return reply(data, t.AgentCard, what)
