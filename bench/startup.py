"""Whole-process start-up cost of `codetether --version` and `--help` against a bare interpreter.

Runs each command N times, interleaved so that machine noise hits all of them alike, and prints
the median wall time and the ratio to `python -c pass` measured in the same run.
Targets (issue #2): --version within 1.5x of a bare start, --help within 5x.

    python bench/startup.py [--runs 30]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def command_for(args: list[str]) -> list[str]:
    script = shutil.which("codetether")
    if script is None:
        sys.exit("codetether is not on PATH: install the project first (see README)")
    return [script, *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "codetether --version": command_for(["--version"]),
        "codetether --help": command_for(["--help"]),
    }
    env = dict(os.environ)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for argv in cases.values():  # warm the page cache once
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        for name, argv in cases.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    baseline = statistics.median(times["python -c pass"])
    print(
        f"{'command':<24}{'median ms':>10}{'ratio':>8}   (runs={runs}, PYTHONDONTWRITEBYTECODE="
        f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})"
    )
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<24}{median * 1000:>10.1f}{median / baseline:>7.2f}x")


if __name__ == "__main__":
    main()
