"""One thought: a single model turn, built by the runtime like every other agent run.

The persona's charter is the system prompt's tail, the phase prompt is the user turn; no tools,
no session file, one step. A run that does not end with an answer raises ``ThinkFailed``: the engine
reports it and backs off, it never substitutes text of its own.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import msgspec

from .errors import CognitionError

if TYPE_CHECKING:
    from ..runtime import Runtime
    from .types import PersonaRuntimeState


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

        pid = persona.identity.id
        run = self._runtime().agent(
            AgentSpec(
                workspace=self.workspace,
                model=self.model,
                tools="none",
                plugins=False,
                mcp=False,
                max_steps=1,
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
