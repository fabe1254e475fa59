# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled chunker; ``_chunker_py`` is its specification and the tests hold them equal."""

__all__ = ["chunk_spans", "chunk_text", "line_starts"]


cdef inline bint _is_space(Py_UCS4 ch):
    return ch == u" " or ch == u"\t" or ch == u"\r" or ch == u"\f" or ch == u"\v"


cdef Py_ssize_t _cut(unicode text, Py_ssize_t start, Py_ssize_t limit, Py_ssize_t low):
    cdef Py_ssize_t newline = -1
    cdef Py_ssize_t space = -1
    cdef Py_ssize_t pos = limit
    cdef Py_UCS4 ch
    while pos >= low:
        ch = text[pos - 1]
        if ch == u"\n":
            if pos - 2 >= start and text[pos - 2] == u"\n":
                return pos
            if newline < 0:
                newline = pos
        elif space < 0 and _is_space(ch):
            space = pos
        pos -= 1
    if newline >= 0:
        return newline
    if space >= 0:
        return space
    return limit


def chunk_spans(unicode text not None, Py_ssize_t max_chars, Py_ssize_t overlap=0):
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if overlap < 0 or overlap >= max_chars:
        raise ValueError(f"overlap must be in [0, max_chars), got {overlap} with max_chars={max_chars}")
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t start = 0
    cdef Py_ssize_t limit, end
    cdef Py_ssize_t half = max_chars // 2
    if half < 1:
        half = 1
    cdef list spans = []
    while start < n:
        limit = start + max_chars
        if limit >= n:
            end = n
        else:
            end = _cut(text, start, limit, start + half)
        spans.append((start, end))
        if end >= n:
            break
        if end - overlap > start + 1:
            start = end - overlap
        else:
            start = start + 1
    return spans


def chunk_text(unicode text not None, Py_ssize_t max_chars, Py_ssize_t overlap=0):
    return [text[s:e] for s, e in chunk_spans(text, max_chars, overlap)]


def line_starts(unicode text not None):
    cdef list starts = [0]
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t i
    for i in range(n - 1):
        if text[i] == u"\n":
            starts.append(i + 1)
    return starts
