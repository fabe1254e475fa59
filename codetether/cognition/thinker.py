"""One thought: a single model turn, built by the runtime like every other agent run.

The persona's charter is the system prompt's tail, the phase prompt is the user turn, no session
file. With no ``allowed_tools`` it is one model turn; with some, the persona may use those tools for
a few steps (in ``ask`` mode with nobody to ask: anything that needs permission, such as an edit or
a command, is denied) before it answers. A run that does not end with an answer raises
``ThinkFailed``: the engine reports it and backs off, it never substitutes text of its own.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import msgspec

from .errors import CognitionError

if TYPE_CHECKING:
    from ..runtime import Runtime
    from .types import PersonaRuntimeState


MAX_TOOL_STEPS = 6  # model turns a thought may take when the persona has tools

# Tools a persona may be given: not `task` (sub-agents: spawn a persona instead) nor `question`
# (nobody is there to answer).
FORBIDDEN_TOOLS = frozenset({"task", "question"})


class ThinkFailed(CognitionError):
    pass


class Thought(msgspec.Struct, kw_only=True):
    text: str
    tokens: int
    model: str


class Thinker(Protocol):
    async def think(self, persona: "PersonaRuntimeState", system: str, prompt: str) -> Thought:
        """The model's answer to ``prompt``; raises on any failure (nothing is made up)."""


class RuntimeThinker:
    """``runtime`` is called on the first thought: a server that never thinks never builds one."""

    def __init__(self, runtime: "Callable[[], Runtime]", workspace: str, model: str | None = None) -> None:
        self._runtime = runtime
        self.workspace = workspace
        self.model = model or None

    async def think(self, persona: "PersonaRuntimeState", system: str, prompt: str) -> Thought:
        from ..providers.types import Message
        from ..runtime import AgentSpec
        from ..security.permissions import AccessMode

        pid = persona.identity.id
        tools = persona.policy.allowed_tools
        run = self._runtime().agent(
            AgentSpec(
                workspace=self.workspace,
                model=self.model,
                tools=list(tools) if tools else "none",
                plugins=False,
                mcp=False,
                access_mode=AccessMode.ASK,
                max_steps=MAX_TOOL_STEPS if tools else 1,
                system_extra=system,
                session="memory",
                git_status="",
                title=f"cognition: {pid}",
                actor=f"cognition:{pid}",
                topic=f"cognition.{pid}.{{session}}",
                sub_agents=False,
            )
        )
        finished = await run.run(Message.user(prompt))
        text = finished.text.strip()
        if finished.status != "submitted" or not text:
            raise ThinkFailed(finished.error or f"the model gave no answer (run ended {finished.status})")
        usage = finished.usage
        return Thought(text=text, tokens=usage.input_tokens + usage.output_tokens, model=run.label)
