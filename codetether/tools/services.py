"""What the runtime lends the tools of one agent run, as a typed protocol.

Tools never reach for the config file, the bus or the audit log themselves: the runtime hands
them a :class:`ToolServices`. :class:`Services` is the one implementation; a tool that needs a
service the run does not offer (a sub-agent inside a sub-agent, a question with nobody to ask)
gets a :class:`ToolError` the model can act on.
"""

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .base import ToolError

if TYPE_CHECKING:
    from ..bus.handle import BusHandle
    from ..config.schema import Config
    from ..events import RunEvent
    from ..hooks import Hooks
    from ..peers.directory import PeerDirectory

SubAgent = Callable[[str, str, str | None], Awaitable[str]]  # (description, prompt, agent) -> the answer
Question = Callable[[str, list[str]], Awaitable[str]]  # (question, options) -> the user's answer
RlmService = Callable[[str, str, str, str], Awaitable[str]]  # (question, content, content_type, label) -> answer


class AuditSink(Protocol):
    """Where tool executions are recorded (``security.audit.AuditLog``)."""

    def append(
        self,
        actor: str,
        action: str,
        resource: str = "",
        result: str = "ok",
        *,
        detail: str = "",
        duration_ms: float = 0,
    ) -> object: ...


class ToolServices(Protocol):
    """The runtime's services as the tools see them."""

    @property
    def settings(self) -> "Config": ...

    @property
    def actor(self) -> str:
        """Who the audit log names for these tool calls (``session:{id}``, ``swarm:{id}/{subtask}``)."""
        ...

    @property
    def audit(self) -> AuditSink | None: ...

    @property
    def environment(self) -> "Mapping[str, str]":
        """The environment tool processes start from (before ``security.toolenv`` drops the secrets)."""
        ...

    @property
    def bus(self) -> "BusHandle | None":
        """This agent's handle on the bus (the ``swarm_share`` tool), when it runs in a swarm."""
        ...

    @property
    def hooks(self) -> "Hooks | None":
        """The run's pre_tool/post_tool hooks (``[hooks]``); None when none are configured."""
        ...

    @property
    def peers(self) -> "PeerDirectory | None":
        """The A2A peers this agent knows (``codetether spawn``), for ``a2a_peers``/``a2a_send``."""
        ...

    def emit(self, event: "RunEvent") -> None:
        """Publish progress (live command output) on the run's topic."""
        ...

    async def sub_agent(self, description: str, prompt: str, agent: str | None = None) -> str:
        """Run a sub-agent (the ``task`` tool), as the named agent profile if ``agent`` is given, and return
        its final answer."""
        ...

    async def question(self, question: str, options: list[str]) -> str:
        """Ask the user (the ``question`` tool)."""
        ...

    async def rlm(self, question: str, content: str, content_type: str, label: str) -> str:
        """Answer ``question`` about ``content`` with an RLM run (the ``rlm`` tool): the answer and its evidence."""
        ...


def _default_settings() -> "Config":
    from ..config.schema import Config

    return Config()


@dataclass(frozen=True, eq=False)
class Services:
    """The one :class:`ToolServices`: built once per run by the runtime (tests build it directly)."""

    settings: "Config" = field(default_factory=_default_settings)
    actor: str = "agent"
    environment: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    audit: AuditSink | None = None
    bus: "BusHandle | None" = None
    on_event: Callable[["RunEvent"], None] | None = None
    run_sub_agent: SubAgent | None = None
    ask_question: Question | None = None
    run_rlm: RlmService | None = None
    hooks: "Hooks | None" = None
    peers: "PeerDirectory | None" = None

    def emit(self, event: "RunEvent") -> None:
        if self.on_event is not None:
            self.on_event(event)

    async def sub_agent(self, description: str, prompt: str, agent: str | None = None) -> str:
        if self.run_sub_agent is None:
            raise ToolError("sub-agents are not available here", "do the work yourself with the other tools")
        return await self.run_sub_agent(description, prompt, agent)

    async def question(self, question: str, options: list[str]) -> str:
        if self.ask_question is None:
            raise ToolError(
                "nobody can answer questions in this run (it is non-interactive)",
                "decide yourself and say what you assumed in your final answer",
            )
        return await self.ask_question(question, options)

    async def rlm(self, question: str, content: str, content_type: str, label: str) -> str:
        if self.run_rlm is None:
            raise ToolError("the RLM is not available here", "read the content in pages with read_file or grep")
        return await self.run_rlm(question, content, content_type, label)
