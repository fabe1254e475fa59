"""Pure-Python chunker: the readable specification that ``_chunker_c`` must match exactly.

The RLM reads inputs far larger than a context window, and compaction must shrink tool output that
no model could read whole. Both need the text cut where a reader would cut it, and need to know
which pieces matter. So the chunker

1. detects the content type from a head/tail sample (:func:`detect`): code, logs, conversation,
   documents, or mixed;
2. chunks each type at its own boundaries (:func:`chunk`): code at top-level symbols (tree-sitter
   where a grammar is installed, else paragraphs at indentation 0), logs by time window with each
   error burst (an error record and its stack trace) kept whole and apart, conversations by turn,
   documents by heading. A unit that fits the budget is never split; one that does not is split at
   the last inner boundary (an indented paragraph, a record, a paragraph), else at the budget;
3. gives every chunk its line span, a token estimate and a priority (errors, definitions and
   headings, and the most recent fifth rank higher), so :func:`select` can fill a token budget by
   priority and :func:`reassemble` can put the pick back in source order with
   ``[... N lines omitted ...]`` markers.

Everything is measured on the UTF-8 bytes, line by line: lines end at ``\\n``, a final ``\\n``
does not start another line, and a line costs its bytes plus one for the newline. A token is
estimated as four bytes. The compiled twin runs the same rules over the same bytes.

``chunk_spans``/``chunk_text`` (size-only cuts at paragraph, line or word breaks) and
``line_starts`` remain for callers that need plain windows.
"""

from typing import NamedTuple

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

CONTENT_TYPES = ("code", "logs", "conversation", "documents", "mixed")
SAMPLE_LINES = 100  # lines sampled at each end of the input by detect()
BYTES_PER_TOKEN = 4

# Per-line flags.
BLANK, INDENT, TS, ERR, DEF, ROLE, FENCE, CODE, DOC, HEAD12, HEAD, NESTED = (1 << i for i in range(12))

ERR_NEEDLES = (
    b"ERROR",
    b"FATAL",
    b"CRITICAL",
    b"Traceback (",
    b"Exception",
    b"panicked",
    b"error:",
    b"Error:",
    b"FAILED",
)
DEF_WORDS = frozenset(
    b"def class async function fn pub impl struct enum trait interface func export static typedef union".split()
)
CODE_WORDS = DEF_WORDS | frozenset(
    b"import from use return if for while const let var else elif try except catch switch case namespace using".split()
)
ROLES = (b"user", b"assistant", b"human", b"ai", b"system", b"tool")
WORD_END = b" (<:{;!"
CODE_END = b"{};(),["

# Boundary strengths: where a chunk must, may, or would rather not start.
NONE, INNER, SOFT, HARD = 0, 1, 2, 3


class Chunk(NamedTuple):
    """A run of whole lines: 1-based ``start_line``..``end_line`` inclusive."""

    start_line: int
    end_line: int
    tokens: int
    priority: int
    kind: str  # error | definition | code | records | turn | section | text


# --- per line ---------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    if not data:
        return []
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    return lines


def _digits(line: bytes, start: int, count: int) -> bool:
    return all(48 <= line[i] <= 57 for i in range(start, start + count))


def _timestamp(line: bytes) -> tuple[int, int] | None:
    """(offset, length) of the time window key when the line starts with a timestamp.

    ISO dates key on the minute (``2024-05-01 12:30``) or the day; ``HH:MM:SS`` on the minute;
    syslog's ``May  1 12:30:00`` on the minute. One leading ``[`` is skipped.
    """
    n = len(line)
    p = 1 if n and line[0] == 91 else 0
    if (
        n >= p + 10
        and _digits(line, p, 4)
        and line[p + 4] == 45
        and _digits(line, p + 5, 2)
        and line[p + 7] == 45
        and _digits(line, p + 8, 2)
    ):
        minute = n >= p + 16 and line[p + 10] in b"T " and _digits(line, p + 11, 2) and line[p + 13] == 58
        return (p, 16) if minute and _digits(line, p + 14, 2) else (p, 10)
    if n >= p + 8 and _digits(line, p, 2) and line[p + 2] == 58 and _digits(line, p + 3, 2):
        clock = line[p + 5] == 58 and _digits(line, p + 6, 2)
        if clock:
            return p, 5
    if (
        n >= p + 15
        and all(97 <= line[i] | 32 <= 122 for i in range(p, p + 3))
        and line[p + 3] == 32
        and (line[p + 4] == 32 or _digits(line, p + 4, 1))
        and _digits(line, p + 5, 1)
        and line[p + 6] == 32
        and _digits(line, p + 7, 2)
        and line[p + 9] == 58
        and _digits(line, p + 10, 2)
        and line[p + 12] == 58
    ):
        return p, 12
    return None


def _word(s: bytes) -> bytes:
    end = 0
    while end < len(s) and (65 <= s[end] <= 90 or 97 <= s[end] <= 122 or s[end] == 95):
        end += 1
    return s[:end]


def _heading(body: bytes) -> int:
    level = 0
    while level < len(body) and level < 7 and body[level] == 35:
        level += 1
    return level if 1 <= level <= 6 and len(body) > level and body[level] == 32 else 0


def _role(body: bytes) -> bool:
    """``User: ...``, ``[Assistant]: ...``, ``<user>``, ``**User:**``, ``### Assistant``."""
    p = 0
    if body.startswith(b"**"):
        p = 2
    elif body[:1] in (b"[", b"<"):
        p = 1
    elif body[:1] == b"#":
        p = _heading(body)
        if not p:
            return False
        p += 1
    for role in ROLES:
        q = p + len(role)
        if body[p:q].lower() == role and (q == len(body) or body[q] in b":]>*"):
            return True
    return False


def classify(line: bytes) -> tuple[int, tuple[int, int] | None]:
    """The line's flags, and its time window key when it starts with a timestamp."""
    body = line.rstrip(b" \t\r")
    if not body:
        return BLANK, None
    flags = 0
    first = line[0]
    if first in b" \t":
        flags |= INDENT
    s = line.lstrip(b" \t")
    if s[:3] in (b"```", b"~~~"):
        flags |= FENCE
    if any(needle in line for needle in ERR_NEEDLES):
        flags |= ERR
    key = _timestamp(line)
    if key is not None:
        flags |= TS
    if _role(body):
        flags |= ROLE
    level = _heading(body)
    if level:
        flags |= HEAD | (HEAD12 if level <= 2 else 0)
    word = _word(s)
    after = s[len(word) : len(word) + 1]
    is_word = bool(word) and (not after or after in WORD_END)
    last = body[-1]
    if is_word and word in DEF_WORDS:
        flags |= DEF
    elif not flags & INDENT and (97 <= first | 32 <= 122 or first == 95) and last in b"){" and b"(" in body:
        flags |= DEF  # a C-style signature: int main(void) {
    if flags & INDENT and len(line) - len(s) <= 4 and (flags & DEF or s[:1] == b"@"):
        flags |= NESTED  # a definition one level in (a method), or its decorator
    if (
        (is_word and word in CODE_WORDS)
        or s[:2] in (b"//", b"/*", b"*/")
        or s[:1] == b"@"
        or s[:8] in (b"#include", b"#define ")
        or s[:2] == b"#!"
        or last in CODE_END
    ):
        flags |= CODE
    if (
        level
        or s[:2] in (b"- ", b"* ", b"> ")
        or body.startswith(b"**")
        or (len(body) >= 40 and 97 <= first | 32 <= 122 and body.count(b" ") >= 5)
    ):
        flags |= DOC
    return flags, key


# --- detection --------------------------------------------------------------------------------


def _detect(lines: list[bytes]) -> str:
    n = len(lines)
    sample = range(n) if n <= 2 * SAMPLE_LINES else [*range(SAMPLE_LINES), *range(n - SAMPLE_LINES, n)]
    conv = logs = code = docs = total = 0
    for i in sample:
        flags, _ = classify(lines[i])
        if flags & BLANK:
            continue
        total += 1
        if flags & ROLE:
            conv += 1
        elif flags & TS:
            logs += 1
        elif flags & CODE:
            code += 1
        elif flags & DOC:
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


def detect(text: str) -> str:
    """The content type of ``text`` from its first and last 100 lines (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    return _detect(_lines(text.encode("utf-8")))


# --- chunking ---------------------------------------------------------------------------------


def _strengths(kind: str, flags: list[int], keys: list, lines: list[bytes], symbols: list[int] | None) -> list[int]:
    n = len(flags)
    st = [NONE] * n
    if kind == "code":
        depth = 0  # open braces: a C, Rust, Java or JS body never holds a top-level boundary
        for i in range(n):
            f = flags[i]
            top = depth == 0
            depth = max(0, depth + lines[i].count(b"{") - lines[i].count(b"}"))
            if f & BLANK:
                continue
            prev = flags[i - 1] if i else BLANK
            if f & INDENT:
                if prev & BLANK and f & NESTED:
                    st[i] = INNER
            elif (
                symbols is None
                and top
                and (prev & BLANK or (not prev & INDENT and lines[i - 1][:1] == b"}"))
                and lines[i][:1] not in (b"}", b")", b"]")
            ):
                st[i] = SOFT
        for i in symbols or ():
            if 0 <= i < n:
                st[i] = SOFT
        return st
    if kind == "logs":
        in_burst = False
        record = -1
        last_key = None
        for i in range(n):
            f = flags[i]
            if f & TS:
                off, length = keys[i]
                key = lines[i][off : off + length]
                if f & ERR:
                    st[i] = INNER if in_burst else HARD
                    in_burst = True
                elif in_burst:
                    st[i] = HARD
                    in_burst = False
                else:
                    st[i] = SOFT if last_key is not None and key != last_key else INNER
                last_key = key
                record = i
            elif f & ERR and not in_burst:
                st[max(record, 0)] = HARD  # the trace belongs to the record it follows
                in_burst = True
        return st
    fence = False
    for i in range(n):
        f = flags[i]
        if fence:
            if f & FENCE:
                fence = False
            continue
        para = not f & BLANK and (i == 0 or flags[i - 1] & BLANK)
        if kind == "conversation":
            st[i] = HARD if f & ROLE else INNER if para else NONE
        elif kind == "documents":
            st[i] = HARD if f & HEAD12 else SOFT if f & HEAD else INNER if para else NONE
        else:  # mixed
            st[i] = SOFT if para or f & HEAD else INNER if f & TS else NONE
        if f & FENCE:
            fence = True
    return st


def _chunk(kind: str, lines: list[bytes], max_tokens: int, symbols: list[int] | None) -> list[Chunk]:
    n = len(lines)
    if n == 0:
        return []
    classified = [classify(line) for line in lines]
    flags = [c[0] for c in classified]
    keys = [c[1] for c in classified]
    st = _strengths(kind, flags, keys, lines, symbols)
    size = [len(line) + 1 for line in lines]
    limit = max_tokens * BYTES_PER_TOKEN
    unit = [0] * n  # bytes from a unit start to the next one
    run = 0
    for i in range(n - 1, -1, -1):
        run += size[i]
        if st[i] >= SOFT or i == 0:
            unit[i] = run
            run = 0
    recent = n - max(1, n // 5)
    marks = {"code": DEF, "documents": HEAD, "conversation": ROLE, "logs": 0, "mixed": DEF | HEAD}[kind]
    errors = 0 if kind == "code" else ERR
    bonus = 2 if kind in ("logs", "conversation") else 1
    label = {"code": "code", "logs": "records", "conversation": "turn", "documents": "section", "mixed": "text"}[kind]
    chunks: list[Chunk] = []

    def emit(start: int, end: int, nbytes: int) -> None:
        seen = 0
        for i in range(start, end):
            seen |= flags[i]
        priority = 1
        name = label
        if seen & errors:
            priority += 4
            name = "error"
        if seen & marks:
            priority += 2
            if kind == "code":
                name = "definition"
        if end > recent:
            priority += bonus
        chunks.append(Chunk(start + 1, end, (nbytes + BYTES_PER_TOKEN - 1) // BYTES_PER_TOKEN, priority, name))

    start = 0
    used = 0
    inner = -1  # the last inner boundary inside the current chunk
    inner_used = 0
    for i in range(n):
        s = st[i]
        if i > start:
            if s == HARD or (s == SOFT and used + unit[i] > limit):
                emit(start, i, used)
                start, used, inner = i, 0, -1
            elif used + size[i] > limit:
                if inner > start:
                    emit(start, inner, inner_used)
                    start, used, inner = inner, used - inner_used, -1
                if used + size[i] > limit and i > start:
                    emit(start, i, used)
                    start, used, inner = i, 0, -1
        if s >= INNER and i > start:
            inner, inner_used = i, used
        used += size[i]
    emit(start, n, used)
    return chunks


def chunk(text: str, content_type: str = "auto", max_tokens: int = 1024, language: str | None = None) -> list[Chunk]:
    """Cut ``text`` into chunks of whole lines of at most ``max_tokens`` (a single longer line stays one chunk).

    ``content_type`` is one of :data:`CONTENT_TYPES` or ``"auto"`` (:func:`detect`). ``language``
    names a tree-sitter grammar (python, javascript, typescript, tsx, bash) for code; without it
    the grammar is guessed, and the indentation heuristic is used where none applies.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if content_type != "auto" and content_type not in CONTENT_TYPES:
        raise ValueError(f"content_type must be auto or one of {', '.join(CONTENT_TYPES)}, got {content_type!r}")
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
    data = text.encode("utf-8")
    lines = _lines(data)
    kind = _detect(lines) if content_type == "auto" else content_type
    symbols = None
    if kind == "code":
        language = language or _symbols.guess_language(data[:4096])
        symbols = _symbols.top_level_starts(data, language) if language else None
    return _chunk(kind, lines, max_tokens, symbols)


# --- selection --------------------------------------------------------------------------------


def select(chunks: list[Chunk], budget: int) -> list[Chunk]:
    """The chunks that fill ``budget`` tokens, highest priority first (later ones first among equals),
    returned in source order. A chunk that does not fit is skipped; smaller ones may still fit."""
    if not isinstance(budget, int) or budget < 0:
        raise ValueError(f"budget must be a non-negative integer, got {budget!r}")
    picked = []
    used = 0
    for c in sorted(chunks, key=lambda c: (-c.priority, -c.start_line)):
        if used + c.tokens <= budget:
            picked.append(c)
            used += c.tokens
    picked.sort(key=lambda c: c.start_line)
    return picked


def reassemble(text: str, chunks: list[Chunk]) -> str:
    """The lines of ``chunks`` in source order, each gap replaced by ``[... N lines omitted ...]``."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    out: list[str] = []
    done = 0  # lines consumed so far
    for c in sorted(chunks, key=lambda c: c.start_line):
        if c.start_line - 1 > done:
            out.append(f"[... {c.start_line - 1 - done} lines omitted ...]")
        out.extend(lines[max(done, c.start_line - 1) : c.end_line])
        done = max(done, c.end_line)
    if len(lines) > done:
        out.append(f"[... {len(lines) - done} lines omitted ...]")
    return "\n".join(out)


# --- size-only windows ------------------------------------------------------------------------


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
