"""A2A ``SendMessage`` throughput and p99 on the PostgreSQL store against SQLite, one and two replicas.

One run measures, in turn: ``codetether serve`` on its embedded SQLite store (the baseline), one
replica on PostgreSQL (``[store] url``), and two replicas on the same PostgreSQL with the requests
alternating between them. Every server runs the instant ``EchoExecutor`` with its real auth and
audit trail; the load generator sends non-streaming spec 1.0 JSON-RPC ``SendMessage`` requests over
loopback with a fixed number in flight. PostgreSQL is a real server started here in a temp dir, with
``fsync=on`` (the SQLite store syncs each group commit too). Prints requests/s, p50, p99 and each
ratio to the SQLite baseline of the same run.

    python bench/store_replicas.py [--requests 2000] [--concurrency 16]
"""

import argparse
import asyncio
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("a2a_throughput", ROOT / "bench" / "a2a_throughput.py")
throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(throughput)

from tests.pg import PostgresServer, missing_reason  # noqa: E402 - after the path is set


def start(home: Path, env: dict[str, str]):
    import os

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return throughput.start_ours(None, home)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def measure(name: str, urls: list[str], requests: int, concurrency: int) -> dict:
    asyncio.run(
        throughput.load_jsonrpc(urls, min(200, requests), concurrency, "hi")
    )  # warm-up: connections, first tasks
    started = time.perf_counter()
    latencies = asyncio.run(throughput.load_jsonrpc(urls, requests, concurrency, "hi"))
    result = throughput.summarize(latencies, time.perf_counter() - started)
    print(f"{name:<28} {result['rps']:8.0f} req/s   p50 {result['p50_ms']:6.1f} ms   p99 {result['p99_ms']:6.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    reason = missing_reason()
    if reason:
        sys.exit(f"cannot run: {reason}")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        process, url, _ = start(scratch / "sqlite", {})
        try:
            results["sqlite, 1 replica"] = measure("sqlite, 1 replica", [url + "/"], args.requests, args.concurrency)
        finally:
            throughput.stop(process)
        postgres = PostgresServer(fsync=True).start()
        try:
            for count in (1, 2):
                database = postgres.create_database(f"bench{count}")
                env = {"CODETETHER_STORE_URL": database}
                started = [start(scratch / f"pg{count}-{i}", env) for i in range(count)]
                try:
                    name = f"postgres, {count} replica{'s' if count > 1 else ''}"
                    results[name] = measure(name, [u + "/" for _, u, _ in started], args.requests, args.concurrency)
                finally:
                    for process, _, _ in started:
                        throughput.stop(process)
        finally:
            postgres.stop()
    base = results["sqlite, 1 replica"]
    print("\nratios to sqlite, 1 replica (same run):")
    for name, result in results.items():
        print(
            f"  {name:<26} throughput x{result['rps'] / base['rps']:.2f}   p99 x{result['p99_ms'] / base['p99_ms']:.2f}"
        )


if __name__ == "__main__":
    main()
