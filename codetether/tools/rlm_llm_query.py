"""rlm_llm_query: ask the model a question about one slice of the content, in a fresh context."""

from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .rlm_store import current_store

NAME = "rlm_llm_query"
KIND = "read"  # the content is in memory; the sub-query is bounded by the run's limits


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    query: Annotated[str, msgspec.Meta(description="The question, complete: the sub-query sees nothing else")]
    start_line: Annotated[int, msgspec.Meta(ge=1, description="First line of the slice (1-based)")]
    end_line: Annotated[int, msgspec.Meta(ge=1, description="Last line of the slice (inclusive)")]


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    limits, budget = store.limits, store.budget
    if not params.query.strip():
        raise ToolError("the query is empty", "say what the sub-query should find or answer")
    if store.ask is None:
        raise ToolError("sub-queries are not available in this run", "use rlm_grep and rlm_slice instead")
    if budget.sub_queries >= limits.max_sub_queries:
        raise ToolError(
            f"the {limits.max_sub_queries} sub-queries of this run are used up",
            "answer from what you have with rlm_final",
        )
    start, end = store.check_span(params.start_line, params.end_line)
    text = store.slice_text(start, end)
    tokens = (len(text.encode()) + 3) // 4
    if tokens > limits.sub_query_tokens:
        if store.depth + 1 >= limits.max_depth:
            raise ToolError(
                f"lines {start}-{end} are about {tokens} tokens; at this depth a sub-query reads at most "
                f"{limits.sub_query_tokens}",
                "narrow the slice (rlm_chunks shows where sections begin)",
            )
    elif budget.sub_query_tokens + tokens > limits.sub_query_total_tokens:
        left = limits.sub_query_total_tokens - budget.sub_query_tokens
        raise ToolError(
            f"sub-queries may read {limits.sub_query_total_tokens} tokens in all; {left} remain",
            "use a smaller slice or answer with rlm_final",
        )
    else:
        budget.sub_query_tokens += tokens
    budget.sub_queries += 1
    answer = await store.ask(params.query, text, start, store.depth)
    return store.spend(f"[sub-query over lines {start}-{end}]\n{answer.strip()}")
