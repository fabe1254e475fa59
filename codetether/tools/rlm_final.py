"""rlm_final: the RLM run's answer, with the line ranges that support it."""

from typing import Annotated

import msgspec

from .base import ToolError
from .context import ToolContext
from .rlm_store import Evidence, Final, current_store

NAME = "rlm_final"
KIND = "read"  # it records the answer in the run's memory; nothing outside changes
MAX_EVIDENCE_LINES = 40  # lines of each evidence range copied into the result


class Span(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    start_line: Annotated[int, msgspec.Meta(ge=1, description="First line of the supporting range")]
    end_line: Annotated[int, msgspec.Meta(ge=1, description="Last line of the supporting range (inclusive)")]


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    answer: Annotated[str, msgspec.Meta(description="The answer to the question, complete and self-contained")]
    evidence: Annotated[list[Span], msgspec.Meta(description="Line ranges of the content that support the answer")] = []


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    if not params.answer.strip():
        raise ToolError("the answer is empty", "give the answer in `answer`")
    evidence = []
    for span in params.evidence:
        start, end = store.check_span(span.start_line, span.end_line)
        text = store.slice_text(start, min(end, start + MAX_EVIDENCE_LINES - 1))
        evidence.append(Evidence(start_line=start, end_line=end, text=text))
    store.final = Final(answer=params.answer.strip(), evidence=evidence)
    return "Answer recorded. Reply with one short line to finish; do not call more tools."
