#!/usr/bin/env bash
# Side-by-side numbers for every CodeTether artifact found here and every peer agent CLI on PATH.
#
#   bench/benchmark.sh [--runs N] [--swarm-runs N]      (defaults 15 and 3)
#
# Candidates: codetether's installed console script (PATH), the zipapp (newest dist/*.pyz), the
# PyInstaller one-dir (dist/codetether-<v>-<platform>.tar.gz, unpacked into a temp folder) and one-file
# (dist/codetether-<v>-<platform>) builds; peers opencode, codex, claude and aider when on PATH.
# Override with CODETETHER_BENCH_ZIPAPP / _ONEDIR (the executable) / _ONEFILE, and the zipapp's
# interpreter with CODETETHER_BENCH_PYTHON (default: the one under the venv; its own site-packages'
# .pth files run at every start, so compare its bare start-up too).
# Measured, each in the same run, interleaved so that machine noise hits all alike:
#   size          the artifact on disk (one-dir: the archive, and unpacked)
#   --version     wall time of the whole process, median and range over N runs, and its CPU time
#                 (user+system: steadier than wall time when other work shares the machine)
#   --help        the same
#   first byte    exec until the first byte of --version's output (process spawn as a caller sees it)
#   serve RSS     resident memory of `serve` (process tree) once it prints that it is listening, idle
#   swarm RSS     peak RSS of `codetether swarm` running 10 sub-agents against the fake LLM server
#                 (tests/fakes/llm.py in its own process, scripted replies: no network, no model)
# Only measured values are printed; a dash means the candidate has no such mode here. Ratios are
# against the installed console script of the same run. Run it with the checkout's venv active
# (the fake LLM server needs aiohttp). The machine's load is printed with the table: say it with the
# numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import argparse
import glob
import json
import os
import re
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT / "build"))
import artifacts  # noqa: E402

PEERS = ["opencode", "codex", "claude", "aider"]
parser = argparse.ArgumentParser(prog="bench/benchmark.sh")
parser.add_argument("--runs", type=int, default=15)
parser.add_argument("--swarm-runs", type=int, default=3)
args = parser.parse_args()
work = Path(tempfile.mkdtemp(prefix="codetether-bench-"))
home = work / "home"
home.mkdir()
ENV = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share")}
ENV.pop("VIRTUAL_ENV", None)


def base_python() -> str:
    """The interpreter that runs the zipapp: CODETETHER_BENCH_PYTHON, else the one under this venv."""
    return os.environ.get("CODETETHER_BENCH_PYTHON") or getattr(sys, "_base_executable", None) or sys.executable


def candidates() -> list[dict]:
    found = []
    names = artifacts.names()
    script = shutil.which("codetether")
    if script:
        wheel = sorted(ROOT.glob(f"dist/codetether-{artifacts.version()}-*.whl"))
        size = {"wheel": wheel[0].stat().st_size} if wheel else {}
        found.append({"name": "codetether (console script)", "argv": [script], "size": size, "ours": True})
    zipapp = os.environ.get("CODETETHER_BENCH_ZIPAPP") or next(iter(sorted(glob.glob("dist/*.pyz"), reverse=True)), None)
    if zipapp:
        found.append({"name": "codetether zipapp", "argv": [base_python(), str(Path(zipapp).resolve())],
                      "size": {"file": Path(zipapp).stat().st_size}, "ours": True})
    onedir = os.environ.get("CODETETHER_BENCH_ONEDIR")
    archive = ROOT / "dist" / names["onedir"]
    size = {}
    if not onedir and archive.is_file():
        with tarfile.open(archive) as tar:
            tar.extractall(work / "onedir", filter="tar")
        onedir = str(work / "onedir" / "codetether" / "codetether")
        size = {"archive": archive.stat().st_size}
    if onedir:
        folder = Path(onedir).parent
        size["unpacked"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        found.append({"name": "codetether one-dir", "argv": [onedir], "size": size, "ours": True})
    onefile = os.environ.get("CODETETHER_BENCH_ONEFILE") or (str(ROOT / "dist" / names["onefile"]) if (ROOT / "dist" / names["onefile"]).is_file() else None)
    if onefile:
        found.append({"name": "codetether one-file", "argv": [onefile], "size": {"file": Path(onefile).stat().st_size}, "ours": True})
    for peer in PEERS:
        path = shutil.which(peer)
        if path:
            found.append({"name": peer, "argv": [path], "size": {"file": Path(path).resolve().stat().st_size}, "ours": False})
    return found


def wall(argv: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one run; its user+system CPU seconds go to ``cpu`` (steadier on a loaded machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=ENV, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return took


def first_byte(argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=ENV, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    proc.stdout.read(1)
    took = time.perf_counter() - start
    proc.stdout.read()
    proc.wait()
    return took


def tree_rss_kib(pid: int) -> int:
    """VmRSS of pid and all its descendants (a one-file build runs its program as a child)."""
    children: dict[int, list[int]] = {}
    for status in glob.glob("/proc/[0-9]*/status"):
        try:
            text = Path(status).read_text()
        except OSError:
            continue
        ppid = int(re.search(r"^PPid:\s+(\d+)", text, re.M).group(1))
        children.setdefault(ppid, []).append(int(status.split("/")[2]))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            found = re.search(r"^VmRSS:\s+(\d+)", Path(f"/proc/{current}/status").read_text(), re.M)
        except OSError:
            continue
        total += int(found.group(1)) if found else 0
        todo += children.get(current, [])
    return total


def serve_rss(argv: list[str]) -> float | None:
    proc = subprocess.Popen([*argv, "serve", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--json"],
                            env=ENV, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        if not ready or not proc.stdout.readline():
            return None
        time.sleep(1.0)  # idle: let start-up garbage settle, as a user's idle server would
        return tree_rss_kib(proc.pid) / 1024
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fake_llm(agents: int) -> tuple[subprocess.Popen, str]:
    """The fake LLM server in its own process: a plan of ``agents`` subtasks, then plain answers."""
    plan = {"subtasks": [{"name": f"w{i}", "instruction": f"inspect part {i}"} for i in range(agents)]}
    script = work / "script.json"
    script.write_text(json.dumps([{"text": json.dumps(plan)}] + [{"text": "inspected"}] * (agents * 3)))
    proc = subprocess.Popen([sys.executable, "bench/_fake_llm_process.py", str(script), str(work / "llm.jsonl")],
                            stdout=subprocess.PIPE, text=True)
    port = proc.stdout.readline().strip()
    return proc, f"http://127.0.0.1:{port}/v1"


# Peak RSS of a finished child comes from getrusage(RUSAGE_CHILDREN), which keeps the largest child a
# process ever had: each swarm therefore runs under a fresh helper process that reports its own figure.
SWARM_HELPER = """import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(json.loads(sys.argv[1]), capture_output=True, timeout=600)
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps([done.returncode, took, peak, done.stdout.decode()]))
"""


def swarm_once(argv: list[str], agents: int) -> tuple[float, float, int] | None:
    """(peak RSS MiB, wall s, sub-agents done) of one ``swarm`` run in a fresh git repo, or None."""
    server, url = fake_llm(agents)
    try:
        config = home / ".config" / "codetether-agent" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[providers.fake]\nkind = "openai"\nbase_url = "{url}"\n')
        repo = work / f"repo-{time.monotonic_ns()}"
        repo.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        identity = ["-c", "user.email=bench@localhost", "-c", "user.name=bench"]
        subprocess.run(["git", *identity, "commit", "-q", "--allow-empty", "-m", "init"], cwd=repo, check=True)
        command = [*argv, "swarm", "--max-subagents", str(agents), "--model", "fake/fake-large", "--json", "inspect"]
        measured = subprocess.run([sys.executable, "-c", SWARM_HELPER, json.dumps(command)],
                                  env=ENV, cwd=repo, capture_output=True, text=True)
        code, took, peak_kib, out = json.loads(measured.stdout)
        if code not in (0, 4):
            return None
        report = json.loads(out)
        return peak_kib / 1024, took, sum(1 for s in report["subtasks"] if s["status"] == "done")
    finally:
        server.terminate()
        server.wait()


def fmt_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):.0f} ({min(ms):.0f}–{max(ms):.0f})"


def fmt_size(size: dict) -> str:
    return ", ".join(f"{v / 1e6:.1f} MB {k}" for k, v in size.items()) or "—"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


found = candidates()
if not found:
    sys.exit("nothing to measure: no codetether on PATH and no dist/ artifacts (see docs/install.md)")
print(f"measuring {len(found)} candidates, {args.runs} runs each; {load()}", file=sys.stderr)
for c in found:  # first start of each: zipapp extraction, one-dir page cache; not counted
    wall([*c["argv"], "--version"])
times = {c["name"]: {"version": [], "help": [], "first": [], "cpu": []} for c in found}
for _ in range(args.runs):
    for c in found:
        times[c["name"]]["version"].append(wall([*c["argv"], "--version"], times[c["name"]]["cpu"]))
        times[c["name"]]["help"].append(wall([*c["argv"], "--help"]))
        times[c["name"]]["first"].append(first_byte([*c["argv"], "--version"]))
serve = {c["name"]: serve_rss(c["argv"]) for c in found if c["ours"]}
swarm: dict[str, tuple[float, float, float, float, int] | None] = {}
for c in found:
    if not c["ours"]:
        continue
    runs = [r for r in (swarm_once(c["argv"], 10) for _ in range(args.swarm_runs)) if r]
    if runs:
        peaks = [r[0] for r in runs]
        swarm[c["name"]] = (statistics.median(peaks), min(peaks), max(peaks), statistics.median(r[1] for r in runs),
                            min(r[2] for r in runs))
    else:
        swarm[c["name"]] = None

baseline = next((c["name"] for c in found if c["name"] == "codetether (console script)"), None)
print()
print("| candidate | size | --version ms | --version CPU ms | --help ms | --version vs script (wall; CPU) "
      "| first byte ms | idle serve RSS MiB "
      "| 10-agent swarm peak RSS MiB (wall s; sub-agents done) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for c in found:
    t = times[c["name"]]
    ratio = "—"
    if baseline:
        b = times[baseline]
        ratio = (f"{statistics.median(t['version']) / statistics.median(b['version']):.2f}×; "
                 f"{statistics.median(t['cpu']) / statistics.median(b['cpu']):.2f}×")
    rss = serve.get(c["name"])
    sw = swarm.get(c["name"])
    print(
        f"| {c['name']} | {fmt_size(c['size'])} | {fmt_ms(t['version'])} | {fmt_ms(t['cpu'])} | {fmt_ms(t['help'])} | {ratio} | "
        f"{fmt_ms(t['first'])} | {f'{rss:.1f}' if rss else '—'} | "
        f"{f'{sw[0]:.0f} ({sw[1]:.0f}–{sw[2]:.0f}; {sw[3]:.1f} s; {sw[4]}/10)' if sw else '—'} |"
    )
print()
missing = [p for p in PEERS if not shutil.which(p)]
print(f"Peers not on PATH (not measured): {', '.join(missing) if missing else 'none'}.")
print(f"Medians with (min–max) over {args.runs} runs; swarm over {args.swarm_runs}. Machine: {load()} at the end.")
print("A dash: not measured (peers: no serve/swarm mode this script knows how to drive; serve or swarm failed).")
shutil.rmtree(work, ignore_errors=True)
PY
