"""Structured tool calls for a reply that only describes them (the agent loop's text-only turns).

Order of work, cheapest first: no tools offered, no text, or calls already present -> nothing to do
(the agent never calls the router then). Calls written out in the text -> taken as they are
(:mod:`.parse`). Otherwise, when ``[tool_router] enabled`` and the text reads like an intention to
act, a small local GGUF model makes one call under the tools' schema grammar
(:class:`~codetether.providers.llama_calls.ToolCaller`). Any failure leaves the reply as it was.
"""

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path

import msgspec

from ..providers.types import ToolCall, ToolSpec
from .parse import parse_text_calls

log = logging.getLogger(__name__)

# "I'll read x", "let me run y", "next, I will ...": a reply announcing an action, not an answer.
_INTENT = re.compile(
    r"\b(i'll|i will|i am going to|i'm going to|let me|let's|i need to|i should|next,? i|now i|first,? i|"
    r"calling|call the|use the|using the|run(?:ning)? the)\b",
    re.I,
)
ROUTER_CONTEXT = 4096  # tokens: the tool list, the examples and one reply fit with room to spare


class RouterSettings(msgspec.Struct, kw_only=True, frozen=True):
    """``[tool_router]`` as the runtime resolved it (the model file is a path that exists, or None)."""

    enabled: bool = False
    model_path: str | None = None
    arch: str = "gemma3"
    device: str = "auto"
    max_tokens: int = 256
    temperature: float = 0.1


def describes_tool_use(text: str, specs: list[ToolSpec]) -> bool:
    """Whether ``text`` announces an action (a tool's name, or "I'll ...", "let me ...")."""
    if _INTENT.search(text):
        return True
    return any(re.search(rf"\b{re.escape(s.name)}\b", text) for s in specs)


class ToolRouter:
    """Turns a text-only reply into tool calls; returns [] whenever it cannot (the reply then stands)."""

    def __init__(self, settings: RouterSettings, *, notice: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.notice = notice or (lambda _text: None)
        self._caller = None
        self._failed = False

    async def route(self, text: str, specs: list[ToolSpec]) -> list[ToolCall]:
        if not specs or not text.strip():
            return []
        calls = parse_text_calls(text, specs)
        if calls or not self.settings.enabled or self._failed or not describes_tool_use(text, specs):
            return calls
        try:
            call = await asyncio.to_thread(self._model_call, text, specs)
        except Exception as exc:  # the model is an aid: a failure must never cost the reply
            log.warning("the tool router failed, keeping the reply as text: %s", exc)
            return []
        return [call] if call is not None else []

    def _model_call(self, text: str, specs: list[ToolSpec]) -> ToolCall | None:
        caller = self._load()
        if caller is None:
            return None
        return caller.call(specs, text, max_tokens=self.settings.max_tokens, temperature=self.settings.temperature)

    def _load(self):
        """The model, loaded once (shared with the llama-cpp provider when it is the same file)."""
        if self._caller is not None:
            return self._caller
        try:
            from ..providers.llama_local import gpu_layers, tool_caller

            path = self.settings.model_path or str(_packaged_model())
            self._caller = tool_caller(path, ROUTER_CONTEXT, gpu_layers(self.settings.device), self.settings.arch)
        except Exception as exc:
            self._failed = True  # said once; the run goes on without the model
            self.notice(f"the tool router is off for this run: could not load its model ({exc})")
            return None
        return self._caller


def _packaged_model() -> Path:
    from ..providers.base import ProviderSettings
    from ..providers.llama_local import DEFAULT_MODEL, resolve_model_path

    return resolve_model_path(DEFAULT_MODEL, ProviderSettings(name="llama-cpp", kind="llama-cpp"))
