"""Worker fleet drain rate: how many tasks/s four ``codetether worker`` processes take from one
``codetether serve --queue-only``, and their claim latency (p50/p99, measured by the workers).

The workers run ``--executor instant`` (each task completes at once with its prompt as the answer), so
what is measured is the queue itself: A2A submit → task-available event over SSE → claim (a
conditional UPDATE) → release → the A2A task completed. The baseline, run in the same invocation, is
the same tasks executed in-process by ``serve --executor EchoExecutor`` (no queue, no workers): the
ratio is the price of handing work to a fleet. Tasks are submitted over JSON-RPC with
``returnImmediately``, ``--concurrency`` in flight, and the clock stops when ListTasks shows every
task completed.

    python bench/workers.py [--tasks 400] [--workers 4] [--concurrency 16]
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

TOKEN = "bench-token-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "A2A-Version": "1.0"}


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "CODETETHER_AUTH_TOKEN": TOKEN,
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }


def start(args: list[str], home: Path) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "codetether", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(home),
        text=True,
    )
    return process, json.loads(process.stdout.readline())


async def rpc(session: aiohttp.ClientSession, url: str, method: str, params: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with session.post(url, json=body, headers=HEADERS) as response:
        reply = await response.json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


async def completed(session: aiohttp.ClientSession, url: str) -> int:
    result = await rpc(session, url, "ListTasks", {"status": "TASK_STATE_COMPLETED", "pageSize": 1})
    return int(result.get("totalSize", 0))


async def drain(url: str, tasks: int, concurrency: int) -> float:
    """Seconds from the first submit until every task is completed."""
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def submit(n: int) -> None:
            message = {"messageId": uuid.uuid4().hex, "role": "ROLE_USER", "parts": [{"text": f"task {n}"}]}
            async with gate:
                await rpc(
                    session, url, "SendMessage", {"message": message, "configuration": {"returnImmediately": True}}
                )

        started = time.perf_counter()
        await asyncio.gather(*(submit(n) for n in range(tasks)))
        while await completed(session, url) < tasks:
            await asyncio.sleep(0.01)
        return time.perf_counter() - started


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    serve_args = ["serve", "--port", "0", "--no-grpc", "--json"]
    with tempfile.TemporaryDirectory() as base:
        home = Path(base) / "baseline"
        server, info = start([*serve_args, "--executor", "codetether.a2a.domain.executor:EchoExecutor"], home)
        try:
            baseline = await drain(info["http_url"], args.tasks, args.concurrency)
        finally:
            stop(server)
        home = Path(base) / "fleet"
        server, info = start([*serve_args, "--queue-only"], home)
        workers = []
        try:
            for index in range(args.workers):
                workers.append(
                    start(
                        [
                            "worker",
                            "--server",
                            info["http_url"],
                            "--name",
                            f"bench-{index}",
                            "--executor",
                            "instant",
                            "--probe-port",
                            "0",
                            "--json",
                            "--workspaces",
                            base,
                        ],
                        home,
                    )
                )
            fleet = await drain(info["http_url"], args.tasks, args.concurrency)
            claims: list[dict] = []
            async with aiohttp.ClientSession() as session:
                for _, worker in workers:
                    async with session.get(f"http://127.0.0.1:{worker['probe_port']}/worker/status") as response:
                        claims.append((await response.json())["claim_ms"])
        finally:
            for process, _ in workers:
                stop(process)
            stop(server)
    rate, base_rate = args.tasks / fleet, args.tasks / baseline
    print(f"{args.tasks} tasks, {args.workers} workers (instant executor), {args.concurrency} submits in flight")
    print(f"  fleet drain:        {rate:8.1f} tasks/s ({fleet:.2f} s)")
    print(f"  in-process (base):  {base_rate:8.1f} tasks/s ({baseline:.2f} s)")
    print(f"  ratio fleet/base:   {rate / base_rate:8.2f}")
    p50 = statistics.median(c["p50"] for c in claims if c["count"])
    p99 = max(c["p99"] for c in claims if c["count"])
    print(f"  claim latency:      p50 {p50:.2f} ms (median of the workers' p50), p99 {p99:.2f} ms (worst worker)")
    print(f"  claims per worker:  {[c['count'] for c in claims]}")


if __name__ == "__main__":
    asyncio.run(main())
