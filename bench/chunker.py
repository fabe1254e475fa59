"""Chunker throughput: the compiled twin against the pure-Python twin, per content type, in one run.

    python bench/chunker.py [--mb 4] [--repeat 3]

Each input is a real file from tests/fixtures/chunker repeated to about ``--mb`` megabytes. A row
is the best of ``--repeat`` runs of ``chunk(text, type, max_tokens=1024)`` per twin, as MB/s of
UTF-8 input, and the compiled/pure ratio. "code (python)" includes tree-sitter's parse (native,
shared by both twins); "code (heuristic)" is a C file, which has no grammar here. Targets: at least
200 MB/s for logs and documents and at least 20x the pure twin. The machine may be shared: read the
ratios, which are measured in the same run, before the absolute figures.
"""

import argparse
import importlib
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "chunker"
CASES = [
    ("logs", "service.log", "logs"),
    ("documents", "chapter.md", "documents"),
    ("conversation", "chat.txt", "conversation"),
    ("code (heuristic)", "minigzip.c", "code"),
    ("code (python)", "textwrap.py", "code"),
    ("auto-detected logs", "service.log", "auto"),
]


def best(fn, *args, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - started)
    return min(times)


def row(label: str, size: float, chunks: str, fast: float, slow: float) -> None:
    print(f"{label:<20} {size:>5.1f} {chunks:>7} {size / fast:>14.1f} {size / slow:>10.1f} {slow / fast:>6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=4.0, help="input size per case (MB)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    args = parser.parse_args()
    compiled = importlib.import_module("ctcore._chunker_c")
    pure = importlib.import_module("ctcore._chunker_py")
    print(f"{'content type':<20} {'MB':>5} {'chunks':>7} {'compiled MB/s':>14} {'pure MB/s':>10} {'ratio':>7}")
    for label, name, kind in CASES:
        sample = (FIXTURES / name).read_text()
        text = sample * max(1, int(args.mb * 1e6 // len(sample.encode())))
        size = len(text.encode()) / 1e6
        chunks = compiled.chunk(text, kind)
        assert chunks == pure.chunk(text, kind), f"the twins disagree on {name}"
        fast = best(compiled.chunk, text, kind, repeat=args.repeat)
        slow = best(pure.chunk, text, kind, repeat=max(1, args.repeat - 1))
        row(label, size, str(len(chunks)), fast, slow)
    sample = (FIXTURES / "chapter.md").read_text()
    text = sample * max(1, int(args.mb * 1e6 // len(sample.encode())))
    size = len(text.encode()) / 1e6
    fast = best(compiled.detect, text, repeat=args.repeat)
    row("detect (head/tail)", size, "", fast, best(pure.detect, text, repeat=args.repeat))


if __name__ == "__main__":
    main()
