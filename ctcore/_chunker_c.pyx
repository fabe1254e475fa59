# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled chunker; ``_chunker_py`` is its specification and the tests hold them equal.

The content-aware scan works on the text's UTF-8 buffer (``PyUnicode_AsUTF8AndSize``: no copy for
ASCII text) with one pass of ``memchr`` for line ends, one classification pass per line over raw
bytes, and the boundary and packing passes over C arrays. Python objects appear only for the
chunks returned (and for tree-sitter, which is native already).
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcmp, strncmp

from ._chunker_py import CONTENT_TYPES, Chunk
from . import _symbols

__all__ = [
    "CONTENT_TYPES",
    "Chunk",
    "chunk",
    "chunk_spans",
    "chunk_text",
    "detect",
    "line_starts",
    "reassemble",
    "select",
]

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object text, Py_ssize_t* size) except NULL

DEF SAMPLE_LINES = 100
DEF BYTES_PER_TOKEN = 4

DEF BLANK = 1
DEF INDENT = 2
DEF TS = 4
DEF ERR = 8
DEF DEFN = 16
DEF ROLE = 32
DEF FENCE = 64
DEF CODE = 128
DEF DOC = 256
DEF HEAD12 = 512
DEF HEAD = 1024
DEF NESTED = 2048

DEF S_NONE = 0
DEF S_INNER = 1
DEF S_SOFT = 2
DEF S_HARD = 3

DEF K_CODE = 0
DEF K_LOGS = 1
DEF K_CONV = 2
DEF K_DOCS = 3
DEF K_MIXED = 4

ctypedef const unsigned char* bptr

cdef const char* ERR_NEEDLES[9]
ERR_NEEDLES[:] = [b"ERROR", b"FATAL", b"CRITICAL", b"Traceback (", b"Exception", b"panicked", b"error:", b"Error:", b"FAILED"]
cdef int ERR_LENS[9]
ERR_LENS[:] = [5, 5, 8, 11, 9, 8, 6, 6, 6]

cdef const char* DEF_WORDS[16]
DEF_WORDS[:] = [b"def", b"class", b"async", b"function", b"fn", b"pub", b"impl", b"struct", b"enum", b"trait",
                b"interface", b"func", b"export", b"static", b"typedef", b"union"]
cdef const char* CODE_WORDS[19]
CODE_WORDS[:] = [b"import", b"from", b"use", b"return", b"if", b"for", b"while", b"const", b"let", b"var", b"else",
                 b"elif", b"try", b"except", b"catch", b"switch", b"case", b"namespace", b"using"]
cdef const char* ROLES[6]
ROLES[:] = [b"user", b"assistant", b"human", b"ai", b"system", b"tool"]
cdef int ROLE_LENS[6]
ROLE_LENS[:] = [4, 9, 5, 2, 6, 4]

cdef unsigned char ERR_FIRST[256]
cdef int _k
for _k in range(256):
    ERR_FIRST[_k] = 0
for _k in range(9):
    ERR_FIRST[<unsigned char>ERR_NEEDLES[_k][0]] = 1


cdef inline bint _digit(unsigned char c) noexcept nogil:
    return 48 <= c <= 57


cdef inline bint _digits(bptr p, Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(count):
        if not (48 <= p[i] <= 57):
            return False
    return True


cdef inline bint _letter(unsigned char c) noexcept nogil:
    return 97 <= (c | 32) <= 122


cdef inline bint _in(unsigned char c, const char* chars) noexcept nogil:
    cdef Py_ssize_t i = 0
    while chars[i]:
        if <unsigned char>chars[i] == c:
            return True
        i += 1
    return False


cdef inline bint _word_in(bptr w, Py_ssize_t n, const char** words, int count) noexcept nogil:
    cdef int i
    cdef const char* cand
    for i in range(count):
        cand = words[i]
        if <unsigned char>cand[0] == w[0] and strncmp(cand, <const char*>w, n) == 0 and cand[n] == 0:
            return True
    return False


cdef inline int _timestamp(bptr line, Py_ssize_t n, Py_ssize_t* off) noexcept nogil:
    """The window key's length (0: no timestamp); its offset in ``off``. See _chunker_py._timestamp."""
    cdef Py_ssize_t p = 1 if n and line[0] == 91 else 0
    cdef bptr q = line + p
    off[0] = p
    if n >= p + 10 and _digits(q, 4) and q[4] == 45 and _digits(q + 5, 2):
        if q[7] == 45 and _digits(q + 8, 2):
            if n >= p + 16 and (q[10] == 84 or q[10] == 32) and _digits(q + 11, 2) and q[13] == 58 and _digits(q + 14, 2):
                return 16
            return 10
    if n >= p + 8 and _digits(q, 2) and q[2] == 58 and _digits(q + 3, 2):
        if q[5] == 58 and _digits(q + 6, 2):
            return 5
    if (
        n >= p + 15
        and _letter(q[0]) and _letter(q[1]) and _letter(q[2])
        and q[3] == 32
        and (q[4] == 32 or _digit(q[4]))
        and _digit(q[5])
        and q[6] == 32
        and _digits(q + 7, 2)
        and q[9] == 58
        and _digits(q + 10, 2)
        and q[12] == 58
    ):
        return 12
    return 0


cdef inline int _heading(bptr body, Py_ssize_t n) noexcept nogil:
    cdef int level = 0
    while level < n and level < 7 and body[level] == 35:
        level += 1
    if 1 <= level <= 6 and n > level and body[level] == 32:
        return level
    return 0


cdef inline bint _role(bptr body, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t p = 0
    cdef Py_ssize_t q, j
    cdef int r, length
    cdef unsigned char c, want
    cdef bint same
    if n >= 2 and body[0] == 42 and body[1] == 42:
        p = 2
    elif body[0] == 91 or body[0] == 60:
        p = 1
    elif body[0] == 35:
        p = _heading(body, n)
        if not p:
            return False
        p += 1
    for r in range(6):
        length = ROLE_LENS[r]
        q = p + length
        if q > n:
            continue
        same = True
        for j in range(length):
            c = body[p + j]
            want = <unsigned char>ROLES[r][j]
            if c != want and c != want - 32:
                same = False
                break
        if same and (q == n or _in(body[q], b":]>*")):
            return True
    return False


cdef inline bint _has_error(bptr line, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef int k, length
    for i in range(n):
        if ERR_FIRST[line[i]]:
            for k in range(9):
                length = ERR_LENS[k]
                if i + length <= n and <unsigned char>ERR_NEEDLES[k][0] == line[i] and memcmp(line + i, ERR_NEEDLES[k], length) == 0:
                    return True
    return False


cdef unsigned int _classify(bptr line, Py_ssize_t n, Py_ssize_t* key_off, int* key_len) noexcept nogil:
    cdef Py_ssize_t end = n
    cdef Py_ssize_t start = 0
    cdef Py_ssize_t w = 0
    cdef Py_ssize_t sn, spaces, i
    cdef unsigned int flags = 0
    cdef unsigned char first, last, after
    cdef bptr s
    cdef int level
    cdef bint is_word
    key_len[0] = 0
    while end > 0 and (line[end - 1] == 32 or line[end - 1] == 9 or line[end - 1] == 13):
        end -= 1
    if end == 0:
        return BLANK
    first = line[0]
    if first == 32 or first == 9:
        flags |= INDENT
    while start < n and (line[start] == 32 or line[start] == 9):
        start += 1
    s = line + start
    sn = n - start
    if sn >= 3 and ((s[0] == 96 and s[1] == 96 and s[2] == 96) or (s[0] == 126 and s[1] == 126 and s[2] == 126)):
        flags |= FENCE
    if _has_error(line, n):
        flags |= ERR
    key_len[0] = _timestamp(line, n, key_off)
    if key_len[0]:
        flags |= TS
    if _role(line, end):
        flags |= ROLE
    level = _heading(line, end)
    if level:
        flags |= HEAD
        if level <= 2:
            flags |= HEAD12
    while w < sn and (65 <= s[w] <= 90 or 97 <= s[w] <= 122 or s[w] == 95):
        w += 1
    is_word = w > 0 and (w == sn or _in(s[w], b" (<:{;!"))
    last = line[end - 1]
    if is_word and _word_in(s, w, DEF_WORDS, 16):
        flags |= DEFN
    elif not (flags & INDENT) and (_letter(first) or first == 95) and (last == 41 or last == 123) and memchr(line, 40, end) != NULL:
        flags |= DEFN
    if flags & INDENT and start <= 4 and (flags & DEFN or s[0] == 64):
        flags |= NESTED
    if (
        (is_word and (_word_in(s, w, DEF_WORDS, 16) or _word_in(s, w, CODE_WORDS, 19)))
        or (sn >= 2 and s[0] == 47 and (s[1] == 47 or s[1] == 42))
        or (sn >= 2 and s[0] == 42 and s[1] == 47)
        or s[0] == 64
        or (sn >= 8 and (memcmp(s, b"#include", 8) == 0 or memcmp(s, b"#define ", 8) == 0))
        or (sn >= 2 and s[0] == 35 and s[1] == 33)
        or _in(last, b"{};(),[")
    ):
        flags |= CODE
    if level or (sn >= 2 and (s[0] == 45 or s[0] == 42 or s[0] == 62) and s[1] == 32) or (end >= 2 and line[0] == 42 and line[1] == 42):
        flags |= DOC
    elif end >= 40 and _letter(first):
        spaces = 0
        for i in range(end):
            if line[i] == 32:
                spaces += 1
                if spaces >= 5:
                    flags |= DOC
                    break
    return flags


cdef class _Lines:
    """The line index of one UTF-8 buffer: where each line starts, its length, flags and window key."""

    cdef object owner  # keeps the buffer alive
    cdef bptr data
    cdef Py_ssize_t size
    cdef Py_ssize_t n
    cdef Py_ssize_t* starts
    cdef Py_ssize_t* lens
    cdef unsigned int* flags
    cdef Py_ssize_t* key_off
    cdef int* key_len

    def __cinit__(self, object owner, Py_ssize_t size):
        self.owner = owner
        self.size = size
        self.starts = NULL
        self.lens = NULL
        self.flags = NULL
        self.key_off = NULL
        self.key_len = NULL

    def __dealloc__(self):
        free(self.starts)
        free(self.lens)
        free(self.flags)
        free(self.key_off)
        free(self.key_len)

    cdef int index(self, bptr data) except -1:
        cdef Py_ssize_t count = 0
        cdef Py_ssize_t pos = 0
        cdef const void* hit
        cdef Py_ssize_t size = self.size
        self.data = data
        while pos < size:
            hit = memchr(data + pos, 10, size - pos)
            if hit == NULL:
                count += 1
                break
            count += 1
            pos = <bptr>hit - data + 1
        self.n = count
        self.starts = <Py_ssize_t*>malloc((count + 1) * sizeof(Py_ssize_t))
        self.lens = <Py_ssize_t*>malloc((count + 1) * sizeof(Py_ssize_t))
        self.flags = <unsigned int*>malloc((count + 1) * sizeof(unsigned int))
        self.key_off = <Py_ssize_t*>malloc((count + 1) * sizeof(Py_ssize_t))
        self.key_len = <int*>malloc((count + 1) * sizeof(int))
        if not (self.starts and self.lens and self.flags and self.key_off and self.key_len):
            raise MemoryError()
        count = 0
        pos = 0
        while pos < size:
            hit = memchr(data + pos, 10, size - pos)
            self.starts[count] = pos
            if hit == NULL:
                self.lens[count] = size - pos
                pos = size
            else:
                self.lens[count] = <bptr>hit - data - pos
                pos = <bptr>hit - data + 1
            count += 1
        return 0

    cdef void classify(self, Py_ssize_t i) noexcept nogil:
        cdef Py_ssize_t off = 0
        cdef int length = 0
        self.flags[i] = _classify(self.data + self.starts[i], self.lens[i], &off, &length)
        self.key_off[i] = self.starts[i] + off
        self.key_len[i] = length


cdef _Lines _index(str text):
    cdef Py_ssize_t size = 0
    cdef const char* data = PyUnicode_AsUTF8AndSize(text, &size)
    cdef _Lines lines = _Lines(text, size)
    lines.index(<bptr>data)
    return lines


cdef str _detect(_Lines lines):
    cdef Py_ssize_t n = lines.n
    cdef Py_ssize_t i
    cdef Py_ssize_t conv = 0, logs = 0, code = 0, docs = 0, total = 0
    cdef unsigned int f
    for i in range(n):
        if n > 2 * SAMPLE_LINES and SAMPLE_LINES <= i < n - SAMPLE_LINES:
            continue
        lines.classify(i)
        f = lines.flags[i]
        if f & BLANK:
            continue
        total += 1
        if f & ROLE:
            conv += 1
        elif f & TS:
            logs += 1
        elif f & CODE:
            code += 1
        elif f & DOC:
            docs += 1
    if total == 0:
        return "mixed"
    if conv >= 2 and conv * 20 >= total:
        return "conversation"
    if logs * 10 >= total * 3:
        return "logs"
    if code >= docs and code * 10 >= total * 3:
        return "code"
    if docs * 10 >= total * 3:
        return "documents"
    return "mixed"


def detect(text):
    """The content type of ``text`` from its first and last 100 lines (see ``_chunker_py``)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    return _detect(_index(text))


cdef void _strengths(int kind, _Lines L, unsigned char* st, bint have_symbols) noexcept nogil:
    cdef Py_ssize_t n = L.n
    cdef Py_ssize_t i, j, depth = 0, record = -1
    cdef unsigned int f, prev
    cdef bint top
    cdef bptr line
    cdef bint in_burst = False, fence = False, para, has_last = False
    cdef Py_ssize_t last_off = 0
    cdef int last_len = 0
    cdef unsigned char c
    cdef bptr data = L.data
    for i in range(n):
        st[i] = S_NONE
    if kind == K_CODE:
        for i in range(n):
            f = L.flags[i]
            top = depth == 0
            line = data + L.starts[i]
            for j in range(L.lens[i]):
                if line[j] == 123:
                    depth += 1
                elif line[j] == 125:
                    depth -= 1
            if depth < 0:
                depth = 0
            if f & BLANK:
                continue
            prev = L.flags[i - 1] if i else BLANK
            if f & INDENT:
                if prev & BLANK and f & NESTED:
                    st[i] = S_INNER
            elif not have_symbols and top and (
                prev & BLANK or (not (prev & INDENT) and L.lens[i - 1] > 0 and data[L.starts[i - 1]] == 125)
            ):
                c = data[L.starts[i]] if L.lens[i] > 0 else 0
                if c != 125 and c != 41 and c != 93:
                    st[i] = S_SOFT
        return
    if kind == K_LOGS:
        for i in range(n):
            f = L.flags[i]
            if f & TS:
                if f & ERR:
                    st[i] = S_INNER if in_burst else S_HARD
                    in_burst = True
                elif in_burst:
                    st[i] = S_HARD
                    in_burst = False
                elif has_last and (last_len != L.key_len[i] or memcmp(data + last_off, data + L.key_off[i], last_len) != 0):
                    st[i] = S_SOFT
                else:
                    st[i] = S_INNER
                has_last = True
                last_off = L.key_off[i]
                last_len = L.key_len[i]
                record = i
            elif f & ERR and not in_burst:
                st[record if record > 0 else 0] = S_HARD
                in_burst = True
        return
    for i in range(n):
        f = L.flags[i]
        if fence:
            if f & FENCE:
                fence = False
            continue
        para = not (f & BLANK) and (i == 0 or L.flags[i - 1] & BLANK)
        if kind == K_CONV:
            st[i] = S_HARD if f & ROLE else (S_INNER if para else S_NONE)
        elif kind == K_DOCS:
            st[i] = S_HARD if f & HEAD12 else (S_SOFT if f & HEAD else (S_INNER if para else S_NONE))
        else:
            st[i] = S_SOFT if (para or f & HEAD) else (S_INNER if f & TS else S_NONE)
        if f & FENCE:
            fence = True


cdef list _chunk(int kind, _Lines L, Py_ssize_t max_tokens, object symbols):
    cdef Py_ssize_t n = L.n
    cdef Py_ssize_t i, start, used, inner, inner_used, run, limit, recent, a
    cdef unsigned int marks, errors, seen
    cdef int bonus, priority
    cdef unsigned char s
    cdef list chunks = []
    if n == 0:
        return chunks
    cdef unsigned char* st = <unsigned char*>malloc(n)
    cdef Py_ssize_t* unit = <Py_ssize_t*>malloc(n * sizeof(Py_ssize_t))
    if st == NULL or unit == NULL:
        free(st)
        free(unit)
        raise MemoryError()
    try:
        with nogil:
            for i in range(n):
                L.classify(i)
            _strengths(kind, L, st, symbols is not None)
        if symbols is not None:
            for a in symbols:
                if 0 <= a < n:
                    st[a] = S_SOFT
        limit = max_tokens * BYTES_PER_TOKEN
        run = 0
        for i in range(n - 1, -1, -1):
            run += L.lens[i] + 1
            if st[i] >= S_SOFT or i == 0:
                unit[i] = run
                run = 0
        recent = n - max(1, n // 5)
        marks = (DEFN, 0, ROLE, HEAD, DEFN | HEAD)[kind]
        errors = 0 if kind == K_CODE else ERR
        bonus = 2 if kind == K_LOGS or kind == K_CONV else 1
        label = ("code", "records", "turn", "section", "text")[kind]
        start = 0
        used = 0
        inner = -1
        inner_used = 0
        spans = []
        for i in range(n):
            s = st[i]
            if i > start:
                if s == S_HARD or (s == S_SOFT and used + unit[i] > limit):
                    spans.append((start, i, used))
                    start = i
                    used = 0
                    inner = -1
                elif used + L.lens[i] + 1 > limit:
                    if inner > start:
                        spans.append((start, inner, inner_used))
                        start = inner
                        used -= inner_used
                        inner = -1
                    if used + L.lens[i] + 1 > limit and i > start:
                        spans.append((start, i, used))
                        start = i
                        used = 0
                        inner = -1
            if s >= S_INNER and i > start:
                inner = i
                inner_used = used
            used += L.lens[i] + 1
        spans.append((start, n, used))
        for span in spans:
            start, i, used = span
            seen = 0
            for a in range(start, i):
                seen |= L.flags[a]
            priority = 1
            name = label
            if seen & errors:
                priority += 4
                name = "error"
            if seen & marks:
                priority += 2
                if kind == K_CODE:
                    name = "definition"
            if i > recent:
                priority += bonus
            chunks.append(Chunk(start + 1, i, (used + BYTES_PER_TOKEN - 1) // BYTES_PER_TOKEN, priority, name))
    finally:
        free(st)
        free(unit)
    return chunks


def chunk(text, content_type="auto", max_tokens=1024, language=None):
    """Cut ``text`` into chunks of whole lines of at most ``max_tokens`` (see ``_chunker_py.chunk``)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if content_type != "auto" and content_type not in CONTENT_TYPES:
        raise ValueError(f"content_type must be auto or one of {', '.join(CONTENT_TYPES)}, got {content_type!r}")
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
    cdef _Lines lines = _index(text)
    kind = _detect(lines) if content_type == "auto" else content_type
    symbols = None
    cdef Py_ssize_t head
    if kind == "code":
        if not language:
            head = lines.size if lines.size < 4096 else 4096
            language = _symbols.guess_language(PyBytes_FromStringAndSize(<const char*>lines.data, head))
        if language:
            symbols = _symbols.top_level_starts(text.encode("utf-8"), language)
    return _chunk(CONTENT_TYPES.index(kind), lines, max_tokens, symbols)


def select(chunks, budget):
    """The chunks that fill ``budget`` tokens by priority, in source order (see ``_chunker_py.select``)."""
    if not isinstance(budget, int) or budget < 0:
        raise ValueError(f"budget must be a non-negative integer, got {budget!r}")
    cdef list picked = []
    cdef Py_ssize_t used = 0
    for c in sorted(chunks, key=_priority_order):
        if used + c.tokens <= budget:
            picked.append(c)
            used += c.tokens
    picked.sort(key=_source_order)
    return picked


def _priority_order(c):
    return (-c.priority, -c.start_line)


def _source_order(c):
    return c.start_line


def reassemble(str text not None, chunks):
    """The lines of ``chunks`` in source order, each gap replaced by ``[... N lines omitted ...]``."""
    cdef list lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    cdef list out = []
    cdef Py_ssize_t done = 0
    for c in sorted(chunks, key=_source_order):
        if c.start_line - 1 > done:
            out.append(f"[... {c.start_line - 1 - done} lines omitted ...]")
        out.extend(lines[max(done, c.start_line - 1) : c.end_line])
        done = max(done, c.end_line)
    if len(lines) > done:
        out.append(f"[... {len(lines) - done} lines omitted ...]")
    return "\n".join(out)


# --- size-only windows --------------------------------------------------------------------------


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
