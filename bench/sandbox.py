"""Spawn overhead of a sandboxed `/bin/true` against a bare subprocess spawn of `/bin/true`, same run.

Sandboxed = ctcore.sandbox.spawn with CPU, memory, file-size, process and core limits (what the
sandbox layer applies), waited with os.waitpid. Baseline = subprocess.run(["/bin/true"]). Target: < 1.5x.

    python bench/sandbox.py [--runs 500]
"""

import argparse
import importlib
import os
import statistics
import subprocess
import time

LIMITS = {"address_space": 512 << 20, "cpu_seconds": 30, "file_size": 64 << 20, "processes": 4096, "core_size": 0}


def timed(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    runs = parser.parse_args().runs
    bare = timed(lambda: subprocess.run(["/bin/true"], check=True), runs)
    print(f"{'subprocess.run(true)':<28}{bare * 1e6:>9.0f} µs  1.00x")
    for name in ("c", "py"):
        module = importlib.import_module(f"ctcore._sandbox_{name}")

        def sandboxed(module=module) -> None:
            pid = module.spawn(["/bin/true"], {"PATH": "/usr/bin:/bin"}, "/tmp", LIMITS)
            os.waitpid(pid, 0)

        took = timed(sandboxed, runs)
        print(f"{'sandbox spawn (' + name + ')':<28}{took * 1e6:>9.0f} µs  {took / bare:.2f}x  (target < 1.5x)")


if __name__ == "__main__":
    main()
