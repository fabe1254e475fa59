"""The RLM chunker, tested against both twins, plus a property test that the twins agree."""

import importlib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import compiled_expected


def test_short_text_is_one_chunk(chunker):
    assert chunker.chunk_spans("hello", 10) == [(0, 5)]
    assert chunker.chunk_spans("", 10) == []


def test_prefers_paragraph_break(chunker):
    text = "alpha beta\ngamma\n\ndelta epsilon zeta"
    spans = chunker.chunk_spans(text, 20)
    assert spans[0] == (0, 18)
    assert text[spans[0][0] : spans[0][1]].endswith("\n\n")


def test_prefers_newline_over_space(chunker):
    text = "one two\nthree four five six"
    start, end = chunker.chunk_spans(text, 12)[0]
    assert text[start:end] == "one two\n"


def test_falls_back_to_space_then_hard_cut(chunker):
    assert chunker.chunk_text("aaaa bbbb cccc", 7) == ["aaaa ", "bbbb ", "cccc"]
    assert chunker.chunk_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_overlap_repeats_tail(chunker):
    chunks = chunker.chunk_text("abcdefghij", 4, 2)
    assert chunks == ["abcd", "cdef", "efgh", "ghij"]


def test_spans_cover_text_and_respect_limit(chunker):
    text = ("lorem ipsum dolor sit amet\n" * 50) + "\n\n" + "x" * 300
    spans = chunker.chunk_spans(text, 64)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(0 < end - start <= 64 for start, end in spans)
    assert "".join(chunker.chunk_text(text, 64)) == text


def test_unicode_is_never_split_inside_a_code_point(chunker):
    text = "héllo wörld 🙂 " * 40
    assert "".join(chunker.chunk_text(text, 17)) == text


def test_line_starts(chunker):
    assert chunker.line_starts("a\nbc\n\nd") == [0, 2, 5, 6]
    assert chunker.line_starts("a\n") == [0]
    assert chunker.line_starts("") == [0]


@pytest.mark.parametrize(("max_chars", "overlap"), [(0, 0), (-3, 0), (5, 5), (5, -1)])
def test_bad_limits_are_rejected(chunker, max_chars, overlap):
    with pytest.raises(ValueError, match=r"max_chars|overlap"):
        chunker.chunk_spans("text", max_chars, overlap)


def test_bad_types_are_rejected(chunker):
    with pytest.raises(TypeError):
        chunker.chunk_spans(None, 5)
    with pytest.raises(TypeError):
        chunker.chunk_spans(b"bytes", 5)
    with pytest.raises(TypeError):
        chunker.line_starts(None)


_text = st.text(alphabet=st.sampled_from(list("ab \n\t\n🙂é")), max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=_text, max_chars=st.integers(1, 40), overlap_fraction=st.floats(0, 0.99))
def test_twins_agree(text, max_chars, overlap_fraction):
    py = importlib.import_module("ctcore._chunker_py")
    try:
        c = importlib.import_module("ctcore._chunker_c")
    except ImportError:
        if compiled_expected():
            raise
        pytest.skip("compiled chunker not built")
    overlap = int(max_chars * overlap_fraction)
    assert c.chunk_spans(text, max_chars, overlap) == py.chunk_spans(text, max_chars, overlap)
    assert c.line_starts(text) == py.line_starts(text)


def test_selector_honours_no_extensions_flag():
    """CODETETHER_NO_EXTENSIONS=1 must force the pure twin in a fresh interpreter."""
    import subprocess
    import sys

    code = "import ctcore.chunker as c; print(c.IMPLEMENTATION)"
    env = {**os.environ, "CODETETHER_NO_EXTENSIONS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "python"


def test_canary_compiled_twin_loaded_where_it_should():
    """Fails when the C twin was built (or CI says it must be) but the selector fell back silently."""
    import ctcore.chunker as selected

    if os.environ.get("CODETETHER_NO_EXTENSIONS"):
        assert selected.IMPLEMENTATION == "python"
        return
    package_dir = Path(selected.__file__).parent
    built = any(package_dir.glob("_chunker_c.*.so")) or any(package_dir.glob("_chunker_c.*.pyd"))
    if built or compiled_expected():
        assert selected.IMPLEMENTATION == "c", "ctcore._chunker_c exists or is required but did not load"
    else:
        pytest.skip("no compiled chunker in this install; nothing to check")
