"""What an RLM run returns (the ``codetether rlm --json`` document) and how it fails."""

import msgspec

from ..errors import CodetetherError
from ..tools.rlm_store import Evidence


class RlmError(CodetetherError):
    """The RLM could not answer: empty content or question, no answer within its limits."""


class RlmStats(msgspec.Struct, kw_only=True):
    input_tokens: int  # what the provider billed as input, over every request of the run and its sub-queries
    output_tokens: int
    elapsed_ms: int
    compression_ratio: float  # tokens of content / input tokens the model was sent (how much was kept out)


class RlmResult(msgspec.Struct, kw_only=True):
    answer: str
    evidence: list[Evidence]
    iterations: int  # model turns of the top-level run
    sub_queries: int  # rlm_llm_query calls in the whole tree
    stats: RlmStats
    content_type: str


def format_answer(result: RlmResult) -> str:
    """The result as text: the answer, then each evidence range (what the `rlm` tool returns, and the CLI prints)."""
    lines = [result.answer]
    if result.evidence:
        lines.append("\nEvidence:")
        for item in result.evidence:
            span = (
                f"line {item.start_line}"
                if item.start_line == item.end_line
                else f"lines {item.start_line}-{item.end_line}"
            )
            first = item.text.split("\n", 1)[0].strip()
            lines.append(f"  {span}: {first[:160]}" if first else f"  {span}")
    return "\n".join(lines)
