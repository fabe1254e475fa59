"""A command's own peak resident memory, as ``wait4`` reports it for that child.

Linux folds the memory a process had before ``exec`` into its ``ru_maxrss``, and a child forked
from pytest starts as a copy of pytest (hundreds of MB late in a full run). So the command is
started by a small Python process, whose own footprint is all that the child inherits.
"""

import json
import subprocess
import sys
from pathlib import Path

_STARTER = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:], cwd=sys.argv[1], stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
output = proc.stdout.read().decode()
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "peak_kib": usage.ru_maxrss, "output": output}))
"""


def peak_rss_mb(argv: list[str], cwd: Path, timeout: float = 300) -> tuple[float, int, str]:
    """(peak RSS in MB, exit code, stdout+stderr) of ``argv`` run in ``cwd``."""
    starter = subprocess.run(
        [sys.executable, "-S", "-c", _STARTER, str(cwd), *argv], capture_output=True, text=True, timeout=timeout
    )
    assert starter.returncode == 0, starter.stderr
    report = json.loads(starter.stdout)
    return report["peak_kib"] / 1024, report["code"], report["output"]
