"""RLM: answer questions about content far larger than a context window, without putting it there.

The content stays in memory (``codetether.tools.rlm_store``); the model explores it through the
``rlm_*`` tools on the one agent loop (``runtime.agent`` with an in-memory session), may hand slices
to bounded recursive sub-queries, and ends with ``rlm_final {answer, evidence}``.
"""

from .content import load_content
from .engine import RLM_TOOLS, analyze
from .result import RlmError, RlmResult, RlmStats, format_answer

__all__ = ["RLM_TOOLS", "RlmError", "RlmResult", "RlmStats", "analyze", "format_answer", "load_content"]
