"""Markdown to urwid text markup, light and incremental: a streamed answer is cut into blocks.

A block ends at a blank line outside a code fence, or at a fence's closing line. Finished blocks
are rendered once and never again; only the block still being written is re-rendered on each
frame, so a long answer streams at the same cost per frame as a short one. Code blocks are
highlighted with pygments when it is installed, else with a small keyword/string/comment scanner.
"""

import re
from functools import lru_cache

Markup = list[tuple[str, str] | str]

_INLINE = re.compile(r"(\*\*[^*\n]+\*\*|`[^`\n]+`)")
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+#.-]*)")
_KEYWORDS = frozenset(
    [
        "def",
        "class",
        "return",
        "if",
        "elif",
        "else",
        "for",
        "while",
        "in",
        "import",
        "from",
        "as",
        "with",
        "try",
        "except",
        "finally",
        "raise",
        "yield",
        "async",
        "await",
        "lambda",
        "not",
        "and",
        "or",
        "is",
        "None",
        "True",
        "False",
        "pass",
        "break",
        "continue",
        "fn",
        "let",
        "mut",
        "const",
        "var",
        "function",
        "pub",
        "struct",
        "impl",
        "match",
        "use",
        "package",
        "func",
        "type",
        "interface",
    ]
)
_SIMPLE = re.compile(r'(#[^\n]*|//[^\n]*|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|\b\d+(?:\.\d+)?\b|\b\w+\b)')


def inline(text: str, base: str = "body") -> Markup:
    """**bold** and `code` spans of one line."""
    out: Markup = []
    for piece in _INLINE.split(text):
        if not piece:
            continue
        if piece.startswith("**") and piece.endswith("**") and len(piece) > 4:
            out.append(("bold", piece[2:-2]))
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 2:
            out.append(("code", piece[1:-1]))
        else:
            out.append((base, piece))
    return out


def _prose(lines: list[str]) -> Markup:
    out: Markup = []
    for i, line in enumerate(lines):
        if i:
            out.append("\n")
        stripped = line.lstrip()
        if stripped.startswith("#"):
            out.append(("heading", stripped.lstrip("#").strip()))
        elif stripped.startswith(">"):
            out.extend(inline("│ " + stripped[1:].strip(), "dim"))
        elif re.match(r"^[-*+] ", stripped):
            out.append(("accent", line[: len(line) - len(stripped)] + "• "))
            out.extend(inline(stripped[2:]))
        else:
            out.extend(inline(line))
    return out


@lru_cache(maxsize=1)
def _pygments():
    try:
        import pygments.lexers
        import pygments.token
        import pygments.util
    except ImportError:
        return None
    return pygments


def _style_of(token_type) -> str:
    name = str(token_type)
    if "Comment" in name:
        return "code_com"
    if "String" in name:
        return "code_str"
    if "Number" in name:
        return "code_num"
    if "Keyword" in name or "Operator.Word" in name:
        return "code_kw"
    if "Name.Function" in name or "Name.Class" in name or "Name.Builtin" in name:
        return "code_fn"
    return "code"


def highlight(code: str, language: str) -> Markup:
    """Syntax-highlighted markup for ``code`` (pygments when installed, else a small scanner)."""
    pygments = _pygments()
    if pygments is not None:
        try:
            lexer = pygments.lexers.get_lexer_by_name(language or "text", stripnl=False, ensurenl=False)
        except pygments.util.ClassNotFound:
            lexer = pygments.lexers.get_lexer_by_name("text", stripnl=False, ensurenl=False)
        return [(_style_of(kind), value) for kind, value in lexer.get_tokens(code) if value]
    return simple_highlight(code)


def simple_highlight(code: str) -> Markup:
    """Keywords, strings, comments and numbers, for when pygments is not installed."""
    out: Markup = []
    last = 0
    for match in _SIMPLE.finditer(code):
        if match.start() > last:
            out.append(("code", code[last : match.start()]))
        token = match.group(0)
        if token[0] in "#/":
            style = "code_com" if token.startswith(("#", "//")) else "code"
        elif token[0] in "\"'":
            style = "code_str"
        elif token[0].isdigit():
            style = "code_num"
        else:
            style = "code_kw" if token in _KEYWORDS else "code"
        out.append((style, token))
        last = match.end()
    if last < len(code):
        out.append(("code", code[last:]))
    return out


def render_block(block: str) -> Markup:
    """One block (prose or a fenced code block, closed or still open) as markup."""
    lines = block.rstrip("\n").split("\n")
    fence = _FENCE.match(lines[0]) if lines else None
    if fence is None:
        return _prose(lines) or [("body", "")]
    body = lines[1:]
    if body and _FENCE.match(body[-1]) and body[-1].strip().startswith(fence.group(1)):
        body = body[:-1]
    language = fence.group(2)
    label: Markup = [("dim", f"─ {language or 'code'} ─\n")]
    return label + (highlight("\n".join(body), language) or [("code", "")])


class StreamingMarkdown:
    """Cuts a stream of text into finished blocks and the block still being written."""

    def __init__(self) -> None:
        self.pending = ""  # the text of the block being written
        self._fence: str | None = None  # the open fence's marker, if inside one
        self._scanned = 0  # how much of ``pending`` has been scanned for block ends

    def feed(self, text: str) -> list[str]:
        """Add ``text``; return the blocks it finished (in order)."""
        self.pending += text
        done: list[str] = []
        while True:
            end = self.pending.find("\n", self._scanned)
            if end < 0:
                return done
            line = self.pending[self._scanned : end]
            line_start = self._scanned
            self._scanned = end + 1
            fence = _FENCE.match(line)
            if self._fence is not None:
                if fence and line.strip().startswith(self._fence) and line.strip() == fence.group(1):
                    self._fence = None
                    done.append(self._cut(end + 1))
                continue
            if fence:
                if line_start > 0 and self.pending[:line_start].strip():
                    done.append(self._cut(line_start))  # prose before a fence is its own block
                self._fence = fence.group(1)
                continue
            if not line.strip():
                block = self._cut(end + 1)
                if block.strip():
                    done.append(block)

    def _cut(self, at: int) -> str:
        block, self.pending = self.pending[:at], self.pending[at:]
        self._scanned = max(0, self._scanned - at)
        return block
