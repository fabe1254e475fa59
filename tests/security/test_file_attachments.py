"""`run -f FILE` reads at most the attachment limit, however big the file (or endless the device) is."""

import os
import subprocess
import sys
from pathlib import Path


def test_attaching_a_1gb_file_is_refused_without_reading_it_into_memory(tmp_path: Path):
    big = tmp_path / "big.log"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)  # sparse: costs no disk
    proc = subprocess.Popen(
        [sys.executable, "-m", "codetether", "run", "-f", str(big), "--no-tools", "summarise"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (communicate() would reap it)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 2, output
    peak_mb = usage.ru_maxrss / 1024  # Linux reports KiB
    assert peak_mb < 200, f"refusing a 1 GiB attachment peaked at {peak_mb:.0f} MB"
    assert f"cannot attach {big}:" in output and "is over the 2 MB limit" in output
