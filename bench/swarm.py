"""A swarm of 100 concurrent sub-agents on the scripted provider: peak RSS and per-sub-agent spawn time.

The planner returns N independent subtasks; each sub-agent makes a few real tool calls (todo_write,
glob, read_file) in a plain (non-git) directory, then answers. Spawn time is the time to build one
sub-agent (session file, tool context and runner, agent) measured around the orchestrator's factory;
the baseline is the process RSS right before the swarm starts, in the same run.

    python bench/swarm.py [--agents 100]
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codetether.bus import AgentBus
from codetether.providers.scripted import ScriptedProvider
from codetether.providers.types import Request, ToolCall
from codetether.swarm.cache import ResultCache
from codetether.swarm.orchestrator import Swarm, SwarmOptions


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def responder(agents: int):
    plan = {"subtasks": [{"name": f"w{i}", "instruction": f"inspect part {i}"} for i in range(agents)]}

    def reply(request: Request):
        first_user = next(m for m in request.messages if m.role == "user").text
        if "You are the planner" in first_user:
            return json.dumps(plan)
        steps = sum(1 for m in request.messages if m.role == "assistant")
        script = [
            [ToolCall(id="", name="todo_write", arguments='{"todos": [{"id": "1", "content": "look"}]}')],
            [ToolCall(id="", name="glob", arguments='{"pattern": "*.txt"}')],
            [ToolCall(id="", name="read_file", arguments='{"file_path": "data.txt"}')],
        ]
        return script[steps] if steps < len(script) else "inspected"

    return reply


async def run(agents: int, directory: Path) -> tuple[dict, list[float], float]:
    spawn_times: list[float] = []
    swarm = Swarm(
        ScriptedProvider(responder(agents)),
        "scripted",
        SwarmOptions(task="inspect", max_subagents=agents, max_steps=10, timeout=120),
        cwd=directory,
        bus=AgentBus(),
        cache=ResultCache(directory / "cache"),
        sessions_dir=directory / "sessions",
    )
    build = swarm._agent

    def timed_agent(*args, **kwargs):
        start = time.perf_counter()
        try:
            return build(*args, **kwargs)
        finally:
            spawn_times.append(time.perf_counter() - start)

    swarm._agent = timed_agent  # measurement only: wraps the factory, changes nothing it does
    before = rss_mib()
    start = time.perf_counter()
    report = await swarm.run()
    return (
        {
            "status": report.status,
            "wall": time.perf_counter() - start,
            "done": sum(s.status == "done" for s in report.subtasks),
        },
        spawn_times,
        before,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    agents = parser.parse_args().agents
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        os.environ["XDG_DATA_HOME"] = str(directory / "data")
        (directory / "data.txt").write_text("row\n" * 200)
        summary, spawns, before = asyncio.run(run(agents, directory))
    spawns.sort()
    print(f"{agents} sub-agents: {summary['done']} done ({summary['status']}) in {summary['wall']:.2f} s")
    print(
        f"peak RSS {rss_mib():.1f} MiB (process before the swarm: {before:.1f} MiB; "
        f"{rss_mib() / before:.2f}x)  target < 150 MB"
    )
    print(
        f"spawn per sub-agent: median {spawns[len(spawns) // 2] * 1000:.3f} ms, "
        f"p95 {spawns[int(len(spawns) * 0.95)] * 1000:.3f} ms  target < 0.5 ms"
    )


if __name__ == "__main__":
    main()
