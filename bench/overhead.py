"""Agent harness overhead: CPU per step, peak memory, first-request size, and a short task end to end.

Each measured run is `codetether run` as its own process against the fake LLM server in another
process, so the figures are the harness alone (the tool used in the long session, todo_read, does
almost no work). Baselines from the same run: `python -c pass` and `codetether --version`.

    python bench/overhead.py [--steps 50]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_run(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """Wall, CPU and peak RSS of one child process (wait4 gives the child's own rusage)."""
    started = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{err}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "rss_mib": usage.ru_maxrss / 1024, "out": out, "started": started}


def with_server(script: list[dict], run):
    with tempfile.TemporaryDirectory() as tmp:
        script_file, report = Path(tmp, "script.json"), Path(tmp, "report.jsonl")
        script_file.write_text(json.dumps(script))
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "_fake_llm_process.py"), str(script_file), str(report)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            port = int(server.stdout.readline())
            result = run(port, Path(tmp))
        finally:
            server.terminate()
            server.wait()
        time.sleep(0.05)
        requests = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
        return result, requests


def prepare(tmp: Path, port: int) -> tuple[Path, dict[str, str]]:
    home = tmp / "home"
    (home / ".config" / "codetether-agent").mkdir(parents=True)
    (home / ".config" / "codetether-agent" / "config.toml").write_text(
        f'[providers.fake]\nkind = "openai"\nbase_url = "http://127.0.0.1:{port}/v1"\n'
    )
    repo = tmp / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "greet.py").write_text('def greet(name):\n    return "hello " + name\n')
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    return repo, env


def codetether(*args: str) -> list[str]:
    return [sys.executable, "-m", "codetether", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    steps = parser.parse_args().steps

    with tempfile.TemporaryDirectory() as tmp:
        bare = child_run([sys.executable, "-c", "pass"], Path(tmp), dict(os.environ))
        version = child_run(codetether("--version"), Path(tmp), dict(os.environ))

    def session(n: int):
        script = [{"calls": [{"name": "todo_read", "arguments": {}}]} for _ in range(n - 1)] + [{"text": "done"}]

        def run(port: int, tmp: Path):
            repo, env = prepare(tmp, port)
            return child_run(
                codetether("run", "--model", "fake/fake-large", "--format", "jsonl", "--max-steps", str(n + 1), "loop"),
                repo,
                env,
            )

        return with_server(script, run)

    one, _ = session(1)
    many, requests = session(steps)
    per_step_ms = (many["cpu"] - one["cpu"]) / (steps - 1) * 1000

    task_script = [
        {"calls": [{"name": "read_file", "arguments": {"file_path": "greet.py"}}]},
        {
            "calls": [
                {
                    "name": "write_file",
                    "arguments": {"file_path": "main.py", "content": "from greet import greet\nprint(greet('w'))\n"},
                }
            ]
        },
        {
            "calls": [
                {
                    "name": "edit",
                    "arguments": {
                        "file_path": "greet.py",
                        "old_string": '"hello " + name',
                        "new_string": 'f"Hello, {name}!"',
                    },
                }
            ]
        },
        {"calls": [{"name": "bash", "arguments": {"command": "python3 main.py"}}]},
        {"text": "Done."},
    ]

    def task(port: int, tmp: Path):
        repo, env = prepare(tmp, port)
        return child_run(
            codetether("run", "--model", "fake/fake-large", "--yolo", "--format", "jsonl", "make main.py"), repo, env
        )

    short, _ = with_server(task_script, task)
    to_first = [with_server(task_script, task) for _ in range(5)]
    first_ms = sorted((reqs[0]["t"] - run["started"]) * 1000 for run, reqs in to_first)

    first = requests[0] if requests else {"system_bytes": 0, "tools_bytes": 0, "body_bytes": 0}
    print(f"baseline  python -c pass        : {bare['wall'] * 1000:7.1f} ms wall  {bare['rss_mib']:6.1f} MiB")
    print(
        f"time to first model request     : {first_ms[len(first_ms) // 2]:7.1f} ms median of 5 "
        f"(min {first_ms[0]:.1f}; {first_ms[len(first_ms) // 2] / (bare['wall'] * 1000):.1f}x python -c pass; "
        "target <= 200 ms)"
    )
    print(f"baseline  codetether --version  : {version['wall'] * 1000:7.1f} ms wall  {version['rss_mib']:6.1f} MiB")
    print(
        f"{steps}-step session               : {many['wall']:7.2f} s wall  {many['cpu']:.2f} s CPU  "
        f"{many['rss_mib']:6.1f} MiB peak ({many['rss_mib'] / bare['rss_mib']:.1f}x python -c pass)"
    )
    print(f"harness CPU per step            : {per_step_ms:7.2f} ms  (target < 5 ms)")
    print(
        f"first request                   : system prompt {first['system_bytes'] / 1024:.1f} KB + tool schemas "
        f"{first['tools_bytes'] / 1024:.1f} KB = {(first['system_bytes'] + first['tools_bytes']) / 1024:.1f} KB "
        f"(target <= 20 KB; whole body {first['body_bytes'] / 1024:.1f} KB)"
    )
    print(
        f"short task (read/write/edit/run): {short['wall']:7.2f} s wall ({short['wall'] / bare['wall']:.0f}x python "
        f"-c pass)  {short['rss_mib']:6.1f} MiB peak  (targets < 0.5 s, < 80 MiB)"
    )


if __name__ == "__main__":
    main()
