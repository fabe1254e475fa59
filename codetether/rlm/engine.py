"""One RLM run: the content in a store, the model on the one agent loop with the ``rlm_*`` tools.

:func:`analyze` builds the run through ``runtime.agent`` (an in-memory session, only the RLM tools,
no plugins, MCP servers or sub-agents), puts the store where the tools find it, and turns the
recorded ``rlm_final`` into an :class:`RlmResult`. A sub-query (``rlm_llm_query``) is another run on
the same loop: a slice that fits ``sub_query_tokens`` goes to a tool-less run that reads it whole;
a larger one, while the depth allows, to a nested RLM run over the slice. All runs of one tree
share one budget of sub-queries, slice tokens and provider usage.
"""

import time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ctcore.chunker import detect

from ..providers.types import Message
from ..tools.registry import RLM_TOOLS
from ..tools.rlm_store import CURRENT, Final, RlmLimits, RlmStore, SharedBudget
from .result import RlmError, RlmResult, RlmStats

if TYPE_CHECKING:
    from ..runtime import AgentRun, Runtime

CONTENT_TYPES = ("code", "logs", "conversation", "documents", "mixed")
NO_GIT = "not relevant (RLM run)"  # the system prompt's git line: no `git status` for an RLM run


@cache
def _prompt(name: str) -> str:
    return resources.files("codetether.rlm").joinpath("prompts", name).read_text("utf-8").strip()


def _tokens(text: str) -> int:
    return (len(text.encode()) + 3) // 4


class _Tree:
    """What every run of one RLM tree shares: the runtime, model, limits, budget and workspace."""

    def __init__(self, runtime: "Runtime", model: str | None, limits: RlmLimits, cwd: Path) -> None:
        self.runtime = runtime
        self.model = model
        self.limits = limits
        self.cwd = cwd
        self.budget = SharedBudget()

    def _run(self, *, tools: list[str] | Literal["none"], system: str, title: str, max_steps: int) -> "AgentRun":
        from ..runtime import AgentSpec

        spec = AgentSpec(
            workspace=str(self.cwd),
            model=self.model,
            tools=tools,
            plugins=False,
            mcp=False,
            sub_agents=False,
            session="memory",
            system_extra=system,
            max_steps=max_steps,
            title=title,
            actor="rlm:{session}",
            git_status=NO_GIT,
        )
        return self.runtime.agent(spec)

    async def explore(self, question: str, text: str, content_type: str, label: str, depth: int) -> tuple[Final, int]:
        """Run the RLM over ``text``; (its final answer, the model turns it took)."""
        store = RlmStore(text, content_type, limits=self.limits, depth=depth, ask=self.sub_query, budget=self.budget)
        run = self._run(
            tools=RLM_TOOLS,
            system=_prompt("system.md"),
            title=f"rlm: {question[:60]}",
            max_steps=self.limits.max_iterations,
        )
        prompt = (
            f"Question: {question}\n\n"
            f"The content ({label}) is not in your context: {len(store.lines)} lines, {len(text.encode())} bytes "
            f"(about {_tokens(text)} tokens), detected as {content_type}. You may pull in about "
            f"{self.limits.context_tokens} tokens of it in all. Explore it with the rlm_* tools, then call rlm_final."
        )
        token = CURRENT.set(store)
        try:
            finished = await run.run(Message.user(prompt))
        finally:
            CURRENT.reset(token)
        self.budget.input_tokens += finished.usage.input_tokens
        self.budget.output_tokens += finished.usage.output_tokens
        if store.final is not None:
            return store.final, finished.steps
        if finished.status == "max_steps":
            raise RlmError(
                f"no answer within {self.limits.max_iterations} iterations (rlm_final was never called)",
                "ask a narrower question, raise --max-iterations, or use a stronger --model",
            ).with_exit(3)
        if finished.status == "submitted" and finished.text.strip():
            return Final(answer=finished.text.strip()), finished.steps  # answered in prose, without rlm_final
        raise RlmError(f"the RLM run ended ({finished.status}) without an answer", finished.error or None)

    async def sub_query(self, question: str, text: str, first: int, depth: int) -> str:
        """The ``rlm_llm_query`` service: read a small slice whole, explore a large one one level down."""
        if _tokens(text) > self.limits.sub_query_tokens and depth + 1 < self.limits.max_depth:
            label = f"a slice of the whole content: its line 1 is line {first} there, so add {first - 1} when you cite"
            final, _ = await self.explore(question, text, detect(text), label, depth + 1)
            return final.answer
        run = self._run(tools="none", system=_prompt("subquery.md"), title="rlm sub-query", max_steps=2)
        numbered = "\n".join(f"{first + i}: {line}" for i, line in enumerate(text.split("\n")))
        finished = await run.run(Message.user(f"Question: {question}\n\n<excerpt>\n{numbered}\n</excerpt>"))
        self.budget.input_tokens += finished.usage.input_tokens
        self.budget.output_tokens += finished.usage.output_tokens
        if finished.status != "submitted":
            return f"(the sub-query ended without an answer: {finished.status})"
        return finished.text


async def analyze(
    runtime: "Runtime",
    question: str,
    text: str,
    *,
    cwd: Path,
    content_type: str = "auto",
    model: str | None = None,
    limits: RlmLimits | None = None,
    label: str = "content",
) -> RlmResult:
    """Answer ``question`` about ``text`` (see the module docstring). Raises :class:`RlmError`, or the
    provider's error when the model cannot be reached."""
    if not question.strip():
        raise RlmError("the question is empty", "say what you want to know about the content")
    if not text.strip():
        raise RlmError(f"the content ({label}) is empty", "give a file or text with something in it")
    if content_type != "auto" and content_type not in CONTENT_TYPES:
        raise RlmError(f"unknown content type {content_type!r}", f"use auto or one of {', '.join(CONTENT_TYPES)}")
    kind = detect(text) if content_type == "auto" else content_type
    tree = _Tree(runtime, model, limits or RlmLimits(), cwd)
    started = time.perf_counter()
    final, iterations = await tree.explore(question.strip(), text, kind, label, depth=0)
    budget = tree.budget
    return RlmResult(
        answer=final.answer,
        evidence=list(final.evidence),
        iterations=iterations,
        sub_queries=budget.sub_queries,
        stats=RlmStats(
            input_tokens=budget.input_tokens,
            output_tokens=budget.output_tokens,
            elapsed_ms=int((time.perf_counter() - started) * 1000),
            compression_ratio=round(_tokens(text) / max(1, budget.input_tokens), 2),
        ),
        content_type=kind,
    )
