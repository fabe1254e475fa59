"""RLM chunker throughput: compiled twin against the pure-Python twin on the same 4 MB input.

python -m pytest bench/test_chunker_bench.py --benchmark-group-by=func
"""

import importlib

import pytest

TEXT = ("def handler(request):\n    return respond(request.body)  # a typical line of code\n\n" * 50_000)[:4_000_000]


def _twin(name: str):
    try:
        return importlib.import_module(f"ctcore._chunker_{name}")
    except ImportError:
        pytest.skip(f"ctcore._chunker_{name} is not built")


@pytest.mark.parametrize("twin", ["py", "c"])
def test_chunk_spans(benchmark, twin):
    module = _twin(twin)
    spans = benchmark(module.chunk_spans, TEXT, 8000, 200)
    assert spans[-1][1] == len(TEXT)


@pytest.mark.parametrize("twin", ["py", "c"])
def test_line_starts(benchmark, twin):
    module = _twin(twin)
    starts = benchmark(module.line_starts, TEXT)
    assert len(starts) > 100_000
