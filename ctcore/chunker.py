"""RLM chunker: picks the compiled twin unless CODETETHER_NO_EXTENSIONS is set or it is missing."""

import os
from typing import TYPE_CHECKING

__all__ = ["IMPLEMENTATION", "chunk_spans", "chunk_text", "line_starts"]

if TYPE_CHECKING or os.environ.get("CODETETHER_NO_EXTENSIONS"):
    from ._chunker_py import chunk_spans, chunk_text, line_starts

    IMPLEMENTATION = "python"
else:
    try:
        from ._chunker_c import chunk_spans, chunk_text, line_starts

        IMPLEMENTATION = "c"
    except ImportError:
        from ._chunker_py import chunk_spans, chunk_text, line_starts

        IMPLEMENTATION = "python"
