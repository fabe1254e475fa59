"""Content-aware chunker (RLM, compaction): the compiled twin unless CODETETHER_NO_EXTENSIONS is set or missing."""

import os
from typing import TYPE_CHECKING

__all__ = ["CONTENT_TYPES", "IMPLEMENTATION", "Chunk", "chunk", "chunk_spans", "chunk_text", "detect"]
__all__ += ["line_starts", "reassemble", "select"]

if TYPE_CHECKING or os.environ.get("CODETETHER_NO_EXTENSIONS"):
    from . import _chunker_py as _twin

    IMPLEMENTATION = "python"
else:
    try:
        from . import _chunker_c as _twin

        IMPLEMENTATION = "c"
    except ImportError:
        from . import _chunker_py as _twin

        IMPLEMENTATION = "python"

CONTENT_TYPES, Chunk, chunk, detect, select, reassemble = (
    _twin.CONTENT_TYPES, _twin.Chunk, _twin.chunk, _twin.detect, _twin.select, _twin.reassemble)  # fmt: skip
chunk_spans, chunk_text, line_starts = _twin.chunk_spans, _twin.chunk_text, _twin.line_starts
