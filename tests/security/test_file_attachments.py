"""`run -f FILE` reads at most the attachment limit, however big the file (or endless the device) is."""

import sys
from pathlib import Path

from tests.tools.peak_rss import peak_rss_mb


def test_attaching_a_1gb_file_is_refused_without_reading_it_into_memory(tmp_path: Path):
    big = tmp_path / "big.log"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)  # sparse: costs no disk
    peak_mb, code, output = peak_rss_mb(
        [sys.executable, "-m", "codetether", "run", "-f", str(big), "--no-tools", "summarise"], cwd=tmp_path
    )
    assert code == 2, output
    assert peak_mb < 200, f"refusing a 1 GiB attachment peaked at {peak_mb:.0f} MB"
    assert f"cannot attach {big}:" in output and "is over the 2 MB limit" in output
