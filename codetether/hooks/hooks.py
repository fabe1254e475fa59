"""The hooks of one agent run: which commands an event starts, and what their answers add up to.

The runtime builds one :class:`Hooks` per run from ``[hooks]`` in the effective config (a
repository's ``codetether.toml`` is part of that config only once the user trusted it). The agent
loop and the tool runner call one method per event; each returns what the run should do and never
raises: a hook that fails is reported to the user and counts as no answer.
"""

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from ..config.schema import Config, HookSection
from ..errors import ConfigError
from ..security.toolenv import pass_env_of, tool_environment
from .process import run_command
from .reply import HookReply, read_reply

log = logging.getLogger(__name__)

TOOL_EVENTS = frozenset({"pre_tool", "post_tool"})
_RANK = {"deny": 3, "ask": 2, "allow": 1}


@dataclass(frozen=True)
class ToolVerdict:
    """The pre_tool hooks' answer: a decision (None: no objection), its reason, rewritten arguments."""

    decision: str | None = None
    reason: str = ""
    arguments: dict[str, Any] | None = None


@dataclass(frozen=True)
class PromptVerdict:
    """The user_prompt (and session_start) hooks' answer: context for the model, or a blocked prompt."""

    context: str = ""
    blocked: str | None = None


class _Hook:
    def __init__(self, section: HookSection) -> None:
        self.section = section
        self.argv = ["/bin/sh", "-c", section.command] if isinstance(section.command, str) else list(section.command)
        matcher = section.matcher.strip()
        try:
            self.pattern = None if matcher in ("", "*") else re.compile(matcher)
        except re.error as exc:
            raise ConfigError(
                f"hook matcher {matcher!r} is not a valid regular expression: {exc}",
                "use a tool name (`bash`), alternatives (`edit|write_file`) or `*`",
            ) from exc

    def matches(self, tool: str | None) -> bool:
        return tool is None or self.pattern is None or self.pattern.fullmatch(tool) is not None


class Hooks:
    """Runs the configured hooks for one agent run (see the module docstring)."""

    def __init__(
        self,
        sections: Mapping[str, list[HookSection]],
        *,
        session_id: str,
        cwd: str,
        project_dir: str,
        environment: Mapping[str, str],
        transcript_path: str = "",
        resumed: bool = False,
        sub_agent: bool = False,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self._hooks = {event: [_Hook(s) for s in entries] for event, entries in sections.items() if entries}
        self.session_id = session_id
        self.cwd = cwd
        self.transcript_path = transcript_path
        self.resumed = resumed
        self.sub_agent = sub_agent
        self.notice = notice or (lambda _text: None)
        self.env = {**environment, "CODETETHER_PROJECT_DIR": project_dir, "CODETETHER_SESSION_ID": session_id}

    @classmethod
    def from_config(cls, config: Config, environment: Mapping[str, str], **kwargs: Any) -> "Hooks | None":
        """The run's hooks; None when none are configured (the loop then skips every event for free)."""
        if not any(config.hooks.values()):
            return None
        return cls(config.hooks, environment=tool_environment(environment, pass_env_of(config)), **kwargs)

    # --- events ---------------------------------------------------------------------------------------
    async def session_start(self) -> str:
        """Context to give the model at the start of a run (a sub-agent has no session_start)."""
        if self.sub_agent:
            return ""
        replies = await self._fire("session_start", {"source": "resume" if self.resumed else "startup"})
        return _joined(r.context for r in replies)

    async def user_prompt(self, prompt: str) -> PromptVerdict:
        """Context to add to the prompt, or why a hook blocked it (not for a sub-agent's prompt)."""
        if self.sub_agent:
            return PromptVerdict()
        replies = await self._fire("user_prompt", {"prompt": prompt})
        blocks = [r.reason or "a user_prompt hook blocked the prompt" for r in replies if r.decision == "block"]
        return PromptVerdict(context=_joined(r.context for r in replies), blocked="; ".join(blocks) or None)

    async def pre_tool(self, tool: str, arguments: dict[str, Any]) -> ToolVerdict:
        """The strictest decision wins (deny > ask > allow); the last rewrite in config order applies."""
        replies = await self._fire("pre_tool", {"tool_name": tool, "tool_input": arguments}, tool=tool)
        decided = [r for r in replies if r.decision in _RANK]
        strictest = max(decided, key=lambda r: _RANK[r.decision or ""], default=None)
        rewrites = [r.updated_input for r in replies if r.updated_input is not None]
        if strictest is None:
            return ToolVerdict(arguments=rewrites[-1] if rewrites else None)
        reasons = [r.reason for r in decided if r.decision == strictest.decision and r.reason]
        return ToolVerdict(strictest.decision, "; ".join(reasons), rewrites[-1] if rewrites else None)

    async def post_tool(self, tool: str, arguments: dict[str, Any], output: str) -> str:
        """What the hooks want the model to read after a tool's output (empty: nothing)."""
        payload = {"tool_name": tool, "tool_input": arguments, "tool_response": {"output": output}}
        replies = await self._fire("post_tool", payload, tool=tool)
        return _joined([*(r.reason for r in replies if r.decision == "block"), *(r.context for r in replies)])

    async def pre_compact(self, trigger: str) -> None:
        """Tell the hooks the context is about to be summarised (``auto`` or ``overflow``)."""
        await self._fire("pre_compact", {"trigger": trigger})

    async def stop(self, answer: str, *, active: bool) -> str | None:
        """Why the agent should go on instead of ending with ``answer``; None lets it end.

        ``active`` (``stop_hook_active`` in the payload) says the agent already continued because of a
        stop hook, so a hook can avoid asking forever; the loop also caps how often it obeys.
        """
        event = "subagent_stop" if self.sub_agent else "stop"
        replies = await self._fire(event, {"stop_hook_active": active, "last_message": answer})
        reasons = [r.reason or f"a {event} hook asked you to continue" for r in replies if r.decision == "block"]
        return "\n".join(reasons) or None

    # --- running --------------------------------------------------------------------------------------
    async def _fire(self, event: str, fields: dict[str, Any], *, tool: str | None = None) -> list[HookReply]:
        hooks = [h for h in self._hooks.get(event, []) if h.matches(tool if event in TOOL_EVENTS else None)]
        if not hooks:
            return []
        payload = {
            "session_id": self.session_id,
            "transcript_path": self.transcript_path,
            "cwd": self.cwd,
            "hook_event_name": event,
            **fields,
        }
        data = msgspec.json.encode(payload)
        replies = await asyncio.gather(*(self._one(event, hook, data) for hook in hooks))
        return [r for r in replies if not r.failure]

    async def _one(self, event: str, hook: _Hook, payload: bytes) -> HookReply:
        timeout = hook.section.timeout
        done = await run_command(hook.argv, payload, cwd=self.cwd, env=self.env, timeout=timeout)
        reply = read_reply(event, done, timeout)
        if reply.failure:
            text = f"{event} hook `{_shown(hook.section.command)}` {reply.failure}; ignored"
            log.warning("%s", text)
            self.notice(text)
        elif reply.message:
            self.notice(reply.message)
        return reply


def _shown(command: str | list[str]) -> str:
    text = command if isinstance(command, str) else " ".join(command)
    return text if len(text) <= 80 else text[:77] + "..."


def _joined(parts: Any) -> str:
    return "\n".join(p for p in parts if p)
