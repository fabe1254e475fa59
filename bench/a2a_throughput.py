"""A2A ``SendMessage`` throughput and latency: ``codetether serve`` against the a2a-sdk reference.

Both servers answer with an instant executor (one artifact, then completed): ours runs
``codetether.a2a.domain.executor:EchoExecutor`` with its real bearer auth and audit trail, the reference is
the a2a-sdk 1.3 ``DefaultRequestHandler`` (tests/a2a/interop/sdk_server.py, ``--executor instant``)
under plain uvicorn. Each server runs alone, pinned to one core; the load generator is pinned to the
others and sends a bounded number of non-streaming spec 1.0 ``SendMessage`` requests over loopback,
over JSON-RPC and over gRPC, with a fixed number in flight. Output: requests/s, p50 and p99 latency,
and our ratio to the reference measured in the same run. Last, the task store alone: commits per
second with SQLite ``synchronous=NORMAL`` against ``FULL`` (what the server uses), alternated.

    python bench/a2a_throughput.py [--requests 3000] [--concurrency 16] [--server-core 0]
"""

import argparse
import asyncio
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef"
PAYLOAD_TEXT = "hello from the load generator"


def _pin(core: str | None) -> list[str]:
    return ["taskset", "-c", core] if core and shutil.which("taskset") else []


def start_ours(core: str | None, home: Path, *, executor: str | None = "codetether.a2a.domain.executor:EchoExecutor"):
    env = {**os.environ, "HOME": str(home), "CODETETHER_AUTH_TOKEN": TOKEN, "XDG_DATA_HOME": str(home / "data")}
    command = [*_pin(core), sys.executable, "-m", "codetether", "serve", "--port", "0", "--grpc-port", "0", "--json"]
    if executor:
        command += ["--executor", executor]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    ready = json.loads(process.stdout.readline())
    return process, ready["http_url"], ready["grpc_address"]


def start_reference(core: str | None) -> tuple[subprocess.Popen, str, str]:
    script = ROOT / "tests" / "a2a" / "interop" / "sdk_server.py"
    command = [
        *_pin(core),
        sys.executable,
        str(script),
        "--http-port",
        "0",
        "--grpc-port",
        "0",
        "--executor",
        "instant",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = json.loads(process.stdout.readline())
    return process, ready["http"], ready["grpc"]


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def _message(text: str = PAYLOAD_TEXT) -> dict:
    return {"messageId": uuid.uuid4().hex, "role": "ROLE_USER", "parts": [{"text": text}]}


async def load_jsonrpc(url: str | list[str], requests: int, concurrency: int, text: str = PAYLOAD_TEXT) -> list[float]:
    """``requests`` SendMessage calls, ``concurrency`` at a time, alternating over ``url`` when it is a list."""
    import aiohttp

    headers = {"A2A-Version": "1.0", "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    latencies: list[float] = []
    remaining = iter(range(requests))
    targets = itertools.cycle([url] if isinstance(url, str) else url)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            for number in remaining:
                body = json.dumps(
                    {"jsonrpc": "2.0", "id": number, "method": "SendMessage", "params": {"message": _message(text)}}
                )
                started = time.perf_counter()
                async with session.post(next(targets), data=body, headers=headers) as reply:
                    payload = await reply.json(content_type=None)
                latencies.append(time.perf_counter() - started)
                if "result" not in payload:
                    raise RuntimeError(f"request failed: {payload}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def load_grpc(address: str, requests: int, concurrency: int) -> list[float]:
    import grpc

    from codetether.a2a import pb

    v1 = pb.v1()
    metadata = (("authorization", f"Bearer {TOKEN}"), ("a2a-version", "1.0"))
    latencies: list[float] = []
    remaining = iter(range(requests))
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(
            "/lf.a2a.v1.A2AService/SendMessage",
            request_serializer=v1.SendMessageRequest.SerializeToString,
            response_deserializer=v1.SendMessageResponse.FromString,
        )

        async def worker() -> None:
            for _ in remaining:
                request = v1.SendMessageRequest(
                    message=v1.Message(
                        message_id=uuid.uuid4().hex, role=v1.ROLE_USER, parts=[v1.Part(text=PAYLOAD_TEXT)]
                    )
                )
                started = time.perf_counter()
                reply = await call(request, metadata=metadata)
                latencies.append(time.perf_counter() - started)
                if reply.task.status.state != v1.TASK_STATE_COMPLETED:
                    raise RuntimeError(f"request did not complete: {reply}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def summarize(latencies: list[float], wall: float) -> dict:
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(kind: str, target: str, requests: int, concurrency: int, pid: int) -> dict:
    warmup = max(100, requests // 10)
    loader = load_jsonrpc if kind == "jsonrpc" else load_grpc
    await loader(target, warmup, concurrency)
    cpu_before, client_before = cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    latencies = await loader(target, requests, concurrency)
    wall = time.perf_counter() - started
    result = summarize(latencies, wall)
    # Where the time went: a server below ~100% of its core was waiting on the load generator.
    result["server_cpu_us"] = (cpu_seconds(pid) - cpu_before) / requests * 1e6
    result["server_util"] = (cpu_seconds(pid) - cpu_before) / wall
    result["client_util"] = (time.process_time() - client_before) / wall
    return result


async def _commit_rate(path: Path, synchronous: str, tasks: int, concurrency: int) -> float:
    """Saves per second when each save's caller waits for its commit, as a reply does."""
    from codetether.a2a.domain.store import SQLiteTaskStore
    from codetether.a2a.domain.types import Task, TaskState, TaskStatus

    store = SQLiteTaskStore(path, synchronous=synchronous)
    remaining = iter(range(tasks))

    async def worker() -> None:
        for number in remaining:
            store.save(Task(id=f"t{number}", context_id="c", status=TaskStatus(state=TaskState.COMPLETED)))
            await store.committed()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    rate = tasks / (time.perf_counter() - started)
    store.close()
    return rate


def task_store_durability_cost(tasks: int, concurrency: int, rounds: int = 3) -> dict[str, float]:
    """The task store alone, synchronous=NORMAL against FULL, alternated so load drifts hit both alike:
    the best of ``rounds`` saves/s for each."""
    best = {"NORMAL": 0.0, "FULL": 0.0}
    with tempfile.TemporaryDirectory() as directory:
        for attempt in range(rounds):
            for synchronous in best:
                path = Path(directory) / f"{synchronous}-{attempt}.sqlite3"
                best[synchronous] = max(
                    best[synchronous], asyncio.run(_commit_rate(path, synchronous, tasks, concurrency))
                )
    return best


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--server-core", default="0")
    parser.add_argument("--client-cores", default=None, help="default: every core but the server's")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    client_cores = args.client_cores or ",".join(str(c) for c in range(cores) if str(c) != args.server_core) or "0"
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {int(c) for c in client_cores.split(",")})
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run

    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as home:
        for name, start in (
            ("reference", lambda: start_reference(args.server_core)),
            ("codetether", lambda: start_ours(args.server_core, Path(home))),
        ):
            process, http_url, grpc_address = start()
            try:
                time.sleep(0.5)
                idle = rss_mib(process.pid)
                results[name] = {
                    "jsonrpc": run(
                        measure("jsonrpc", http_url.rstrip("/") + "/", args.requests, args.concurrency, process.pid)
                    ),
                    "grpc": run(measure("grpc", grpc_address, args.requests, args.concurrency, process.pid)),
                    "idle_rss_mib": idle,
                }
            finally:
                stop(process)

    print(f"A2A SendMessage, {args.requests} requests, {args.concurrency} in flight, server on core {args.server_core}")
    print(
        f"{'':12} {'transport':9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server CPU/req':>15} "
        f"{'server busy':>12} {'client busy':>12}"
    )
    for name, by_kind in results.items():
        for kind in ("jsonrpc", "grpc"):
            row = by_kind[kind]
            print(
                f"{name:12} {kind:9} {row['rps']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
                f"{row['server_cpu_us']:12.0f} us {row['server_util']:11.0%} {row['client_util']:11.0%}"
            )
    for kind in ("jsonrpc", "grpc"):
        ours, ref = results["codetether"][kind], results["reference"][kind]
        print(
            f"{kind}: throughput {ours['rps'] / ref['rps']:.1f}x the reference; "
            f"p99 {ours['p99_ms']:.2f} ms vs {ref['p99_ms']:.2f} ms"
        )
    print(
        f"RSS right after start: codetether (echo executor) {results['codetether']['idle_rss_mib']:.1f} MiB, "
        f"reference {results['reference']['idle_rss_mib']:.1f} MiB"
    )
    with tempfile.TemporaryDirectory() as home:  # the default (agent) executor, every transport up
        process, _, _ = start_ours(args.server_core, Path(home), executor=None)
        try:
            time.sleep(3)
            idle = rss_mib(process.pid)
        finally:
            stop(process)
    print(f"idle RSS of `codetether serve` (agent executor, JSON-RPC+REST+gRPC, 3 s after start): {idle:.1f} MiB")
    for concurrency in (1, args.concurrency):
        rates = task_store_durability_cost(args.requests, concurrency)
        print(
            f"task store, {concurrency} waiting saver(s): synchronous=NORMAL {rates['NORMAL']:.0f} commits/s, "
            f"FULL (the default: survives power loss) {rates['FULL']:.0f}/s, "
            f"{rates['FULL'] / rates['NORMAL']:.2f}x"
        )


if __name__ == "__main__":
    main()
