"""Pure-Python chunker: the readable specification that ``_chunker_c`` must match exactly.

The RLM reads inputs far larger than a context window one chunk at a time. A chunk should end
where a reader would pause -- a blank line, else a line end, else a space -- so the model sees
whole paragraphs and lines; only text with no break at all is cut hard.
"""

__all__ = ["chunk_spans", "chunk_text", "line_starts"]


def _check(text: str, max_chars: int, overlap: int) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not isinstance(max_chars, int) or not isinstance(overlap, int):
        raise TypeError("max_chars and overlap must be integers")
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if overlap < 0 or overlap >= max_chars:
        raise ValueError(f"overlap must be in [0, max_chars), got {overlap} with max_chars={max_chars}")


def _cut(text: str, start: int, limit: int, low: int) -> int:
    """Best end offset in [low, limit] for a chunk beginning at ``start``."""
    newline = -1
    space = -1
    pos = limit
    while pos >= low:
        ch = text[pos - 1]
        if ch == "\n":
            if pos - 2 >= start and text[pos - 2] == "\n":
                return pos
            if newline < 0:
                newline = pos
        elif space < 0 and ch in " \t\r\f\v":
            space = pos
        pos -= 1
    if newline >= 0:
        return newline
    if space >= 0:
        return space
    return limit


def chunk_spans(text: str, max_chars: int, overlap: int = 0) -> list[tuple[int, int]]:
    """Split ``text`` into ``(start, end)`` spans of at most ``max_chars`` characters.

    A span ends after a blank line when one lies in its second half, else after a newline,
    else after whitespace, else exactly at ``max_chars``. Consecutive spans share up to
    ``overlap`` characters so that a fact straddling a boundary is seen whole at least once.
    """
    _check(text, max_chars, overlap)
    n = len(text)
    spans: list[tuple[int, int]] = []
    start = 0
    half = max(1, max_chars // 2)
    while start < n:
        limit = start + max_chars
        end = n if limit >= n else _cut(text, start, limit, start + half)
        spans.append((start, end))
        if end >= n:
            break
        start = max(end - overlap, start + 1)
    return spans


def chunk_text(text: str, max_chars: int, overlap: int = 0) -> list[str]:
    """The chunks themselves, as strings (see :func:`chunk_spans`)."""
    return [text[s:e] for s, e in chunk_spans(text, max_chars, overlap)]


def line_starts(text: str) -> list[int]:
    """Offsets at which each line begins, so a span can be reported as line numbers."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n" and i + 1 < len(text):
            starts.append(i + 1)
    return starts
