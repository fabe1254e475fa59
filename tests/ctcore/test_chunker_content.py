"""The content-aware chunker on real inputs of each type, against both twins, and the twins' agreement."""

import ast
import importlib
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import compiled_expected

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chunker"
INPUTS = {
    "textwrap.py": "code",  # CPython's Lib/textwrap.py
    "minigzip.c": "code",  # zlib's examples/minigzip.c
    "service.log": "logs",  # a service log with Python and Java stack traces
    "chat.txt": "conversation",
    "chapter.md": "documents",  # a chapter of this project's docs
}
BUDGETS = [40, 150, 400, 2000]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d")


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


def line_count(text: str) -> int:
    """Lines as the chunker counts them: split at \\n only; a final \\n starts no new line."""
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def tokens_of(lines: list[str]) -> int:
    return (sum(len(line.encode()) + 1 for line in lines) + 3) // 4


def assert_partition(chunks, text: str, max_tokens: int) -> None:
    """Every line is in exactly one chunk, in order, and a chunk over budget is a single line."""
    n = line_count(text)
    assert chunks[0].start_line == 1 and chunks[-1].end_line == n
    for before, after in itertools.pairwise(chunks):
        assert after.start_line == before.end_line + 1
    lines = text.split("\n")
    for c in chunks:
        assert c.start_line <= c.end_line
        assert c.tokens == tokens_of(lines[c.start_line - 1 : c.end_line])
        assert c.tokens <= max_tokens or c.start_line == c.end_line
        assert c.priority >= 1


def containing(chunks, first: int, last: int) -> list:
    return [c for c in chunks if c.end_line >= first and c.start_line <= last]


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_detects_each_real_input(chunker, name):
    assert chunker.detect(read(name)) == INPUTS[name]


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_line_lands_in_exactly_one_chunk(chunker, name, budget):
    text = read(name)
    assert_partition(chunker.chunk(text, max_tokens=budget), text, budget)
    for kind in chunker.CONTENT_TYPES:  # a forced type still partitions
        assert_partition(chunker.chunk(text, kind, max_tokens=budget), text, budget)


def python_definitions(text: str) -> list[tuple[int, int]]:
    """(first, last) line of every top-level def/class and of every method, decorators included."""
    spans = []
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans.append((first, node.end_lineno))
            if isinstance(node, ast.ClassDef):
                spans += [(m.lineno, m.end_lineno) for m in node.body if isinstance(m, ast.FunctionDef)]
    return spans


@pytest.mark.parametrize("budget", BUDGETS)
def test_python_functions_are_never_split_when_they_fit(chunker, budget):
    text = read("textwrap.py")
    lines = text.split("\n")
    chunks = chunker.chunk(text, max_tokens=budget)
    checked = 0
    for first, last in python_definitions(text):
        if tokens_of(lines[first - 1 : last]) <= budget:
            assert len(containing(chunks, first, last)) == 1, (first, last, containing(chunks, first, last))
            checked += 1
    assert checked
    assert any(c.kind == "definition" for c in chunks)


def c_functions(text: str) -> list[tuple[int, int]]:
    """(signature, closing brace) of each function in K&R or ANSI style: a body is `{` .. `}` at column 0."""
    lines = text.split("\n")
    spans = []
    for i, line in enumerate(lines):
        if line == "{":
            start = i
            while start > 0 and lines[start - 1].strip() and not lines[start - 1].startswith(("}", "#")):
                start -= 1
            end = next(j for j in range(i, len(lines)) if lines[j].startswith("}"))
            spans.append((start + 1, end + 1))
    return spans


@pytest.mark.parametrize("budget", BUDGETS)
def test_c_functions_are_never_split_when_they_fit(chunker, budget):
    text = read("minigzip.c")
    lines = text.split("\n")
    chunks = chunker.chunk(text, max_tokens=budget)
    functions = c_functions(text)
    assert len(functions) >= 10
    checked = 0
    for first, last in functions:
        if tokens_of(lines[first - 1 : last]) <= budget:
            assert len(containing(chunks, first, last)) == 1, (first, last)
            checked += 1
    assert checked


def stack_traces(text: str) -> list[tuple[int, int]]:
    """(first, last) line of each error record with its trace: the ERROR line and the lines without a timestamp."""
    lines = text.split("\n")
    spans = []
    for i, line in enumerate(lines):
        if TIMESTAMP.match(line) and " ERROR " in line:
            end = i
            while end + 1 < len(lines) and lines[end + 1] and not TIMESTAMP.match(lines[end + 1]):
                end += 1
            spans.append((i + 1, end + 1))
    return spans


@pytest.mark.parametrize("budget", BUDGETS)
def test_stack_traces_stay_whole_and_rank_high(chunker, budget):
    text = read("service.log")
    lines = text.split("\n")
    chunks = chunker.chunk(text, max_tokens=budget)
    traces = stack_traces(text)
    assert len(traces) == 5
    for first, last in traces:
        if tokens_of(lines[first - 1 : last]) > budget:
            continue
        (owner,) = containing(chunks, first, last)
        assert owner.kind == "error"
        # an error burst is a chunk of its own: no ordinary record shares it
        assert owner.start_line == first and owner.end_line == last
        assert owner.priority > max(c.priority for c in chunks if c.kind != "error")


def test_log_chunks_start_at_time_windows_and_records(chunker):
    text = read("service.log")
    lines = text.split("\n")
    chunks = chunker.chunk(text, max_tokens=5000)
    assert len(chunks) > 2 * len(stack_traces(text))  # windows were packed, yet cut where the minute changes
    for before, c in itertools.pairwise(chunks):
        if c.kind == "error" or before.kind == "error":
            continue
        previous = next(lines[i] for i in range(c.start_line - 2, -1, -1) if TIMESTAMP.match(lines[i]))
        assert lines[c.start_line - 1][:16] != previous[:16], c
    for c in chunker.chunk(text, max_tokens=150):  # a window over budget is cut between records only
        assert TIMESTAMP.match(lines[c.start_line - 1]), c


def test_conversation_chunks_by_turn(chunker):
    text = read("chat.txt")
    lines = text.split("\n")
    chunks = chunker.chunk(text, max_tokens=2000)
    turns = [i + 1 for i, line in enumerate(lines) if line.startswith(("User:", "Assistant:"))]
    assert [c.start_line for c in chunks] == turns
    assert all(c.kind in ("turn", "error") for c in chunks)
    # the user's pasted traceback makes the first turn an error turn
    assert chunks[0].kind == "error"


def test_conversation_never_cuts_inside_a_code_fence(chunker):
    text = read("chat.txt")
    lines = text.split("\n")
    fences = [i + 1 for i, line in enumerate(lines) if line.startswith("```")]
    blocks = list(zip(fences[::2], fences[1::2], strict=True))
    for budget in (30, 60, 120):
        chunks = chunker.chunk(text, max_tokens=budget)
        for first, last in blocks:
            if tokens_of(lines[first - 1 : last]) <= budget:
                assert len(containing(chunks, first + 1, last)) == 1


def test_documents_chunk_by_heading(chunker):
    text = read("chapter.md")
    lines = text.split("\n")
    chunks = chunker.chunk(text, max_tokens=100_000)
    fence = False
    majors = []
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"^#{1,2} ", line):
            majors.append(i + 1)
    assert [c.start_line for c in chunks] == majors
    assert all(c.kind in ("section", "error") for c in chunks)


def test_select_fills_budget_by_priority_and_reassembles_in_order(chunker):
    text = read("service.log")
    chunks = chunker.chunk(text, max_tokens=200)
    picked = chunker.select(chunks, 700)  # the five traces take 646 tokens
    assert sum(c.tokens for c in picked) <= 700
    assert [c.start_line for c in picked] == sorted(c.start_line for c in picked)
    assert {c.kind for c in picked} == {"error"} | ({"records"} & {c.kind for c in picked})
    assert all(any(p.start_line == t[0] for p in picked) for t in stack_traces(text))
    out = chunker.reassemble(text, picked)
    assert "ZeroDivisionError: division by zero" in out and "SocketTimeoutException" in out
    omitted = [int(n) for n in re.findall(r"\[\.\.\. (\d+) lines omitted \.\.\.\]", out)]
    kept = sum(c.end_line - c.start_line + 1 for c in picked)
    assert sum(omitted) + kept == line_count(text)
    assert len(out) < len(text) // 3


def test_select_edges(chunker):
    text = read("chat.txt")
    chunks = chunker.chunk(text, max_tokens=100)
    assert chunker.select(chunks, 0) == []
    assert chunker.select(chunks, 10**9) == chunks
    assert chunker.reassemble(text, chunks) == text.rstrip("\n")
    assert chunker.reassemble(text, []) == f"[... {line_count(text)} lines omitted ...]"
    with pytest.raises(ValueError, match="budget"):
        chunker.select(chunks, -1)


def test_recent_material_ranks_higher(chunker):
    text = "\n\n".join(f"paragraph {i} " + "word " * 30 for i in range(50)) + "\n"
    chunks = chunker.chunk(text, "documents", max_tokens=60)
    assert chunks[-1].priority > chunks[0].priority


def test_empty_and_tiny_inputs(chunker):
    assert chunker.chunk("") == []
    assert chunker.detect("") == "mixed"
    assert chunker.chunk("one line") == [chunker.Chunk(1, 1, 3, 2, "text")]
    assert chunker.chunk("\n\n\n", max_tokens=1) == [(1, 3, 1, 2, "text")]  # 3 bytes: one token
    assert chunker.chunk("abcd\nefgh\n", "mixed", max_tokens=1) == [(1, 1, 2, 1, "text"), (2, 2, 2, 2, "text")]
    long_line = "x" * 10_000
    assert chunker.chunk(long_line, "logs", max_tokens=10) == [(1, 1, 2501, 3, "records")]


def test_bad_arguments_are_rejected(chunker):
    with pytest.raises(TypeError):
        chunker.chunk(b"bytes")
    with pytest.raises(TypeError):
        chunker.detect(None)
    with pytest.raises(ValueError, match="content_type"):
        chunker.chunk("x", "poetry")
    with pytest.raises(ValueError, match="max_tokens"):
        chunker.chunk("x", max_tokens=0)


_line = st.one_of(
    st.sampled_from(
        [
            "",
            "  ",
            "def f(x):",
            "    return x",
            "class A:",
            "    @property",
            "}",
            "int main(void)",
            "{",
            "2024-05-01 12:30:01 INFO ok",
            "2024-05-01 12:31:00 ERROR boom",
            "[2024-05-01T12:31:00] WARN x",
            "12:30:01 ERROR x",
            "May  1 12:30:00 host sshd[1]: error: x",
            "Traceback (most recent call last):",
            '  File "a.py", line 1, in f',
            "\tat com.x.Y.z(Y.java:1)",
            "User: hi",
            "[Assistant]: ok",
            "**User:**",
            "### Assistant",
            "<user>",
            "# Title",
            "## Section",
            "#### deep",
            "```python",
            "```",
            "- item",
            "> quote",
            "This is a long enough prose line with many words in it.",
            "// comment",
            "#include <stdio.h>",
            "é🙂 unicode line",
        ]
    ),
    st.text(alphabet=st.sampled_from(list("ab #:[]-*(){};0129 \t\rEUé")), max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(_line, max_size=60),
    trailing=st.booleans(),
    kind=st.sampled_from(["auto", "code", "logs", "conversation", "documents", "mixed"]),
    budget=st.integers(1, 80),
    budget_select=st.integers(0, 200),
)
def test_twins_agree_on_content_chunking(lines, trailing, kind, budget, budget_select):
    py = importlib.import_module("ctcore._chunker_py")
    try:
        c = importlib.import_module("ctcore._chunker_c")
    except ImportError:
        if compiled_expected():
            raise
        pytest.skip("compiled chunker not built")
    text = "\n".join(lines) + ("\n" if trailing else "")
    assert c.detect(text) == py.detect(text)
    expected = py.chunk(text, kind, budget, language="none")
    assert c.chunk(text, kind, budget, language="none") == expected
    if expected:
        assert_partition(expected, text, budget)
    picked = py.select(expected, budget_select)
    assert c.select(expected, budget_select) == picked
    assert c.reassemble(text, picked) == py.reassemble(text, picked)
