"""A worker's report round trip on two ``serve --queue-only`` replicas of one PostgreSQL: reported to
the replica that queued the task (applied in process) against reported to the other one (forwarded
through ``queue_reports`` and NOTIFY, acknowledged once applied and committed).

One run starts a real PostgreSQL (``fsync=on``) and two replicas, queues one task on replica A, claims
it, then posts ``--outputs`` output chunks through A and the same number through B, one at a time as a
worker does. Prints p50 and p99 of each and the ratio B/A of the same run.

    python bench/worker_replicas.py [--outputs 300]
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from codetether.a2a.client.client import A2AClient  # noqa: E402
from codetether.worker.client import QueueClient  # noqa: E402
from codetether.worker.types import RegisterRequest  # noqa: E402
from tests.pg import PostgresServer, missing_reason  # noqa: E402
from tests.worker.helpers import TOKEN, start_serve  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(outputs: int) -> None:
    reason = missing_reason()
    if reason:
        raise SystemExit(reason)
    pg = PostgresServer(fsync=True).start()
    try:
        url = pg.create_database("bench")
        with tempfile.TemporaryDirectory() as tmp:
            options = ("-o", f"store.url={url}")
            (Path(tmp) / "a").mkdir()
            (Path(tmp) / "b").mkdir()
            a, b = await asyncio.gather(start_serve(Path(tmp) / "a", *options), start_serve(Path(tmp) / "b", *options))
            try:
                async with aiohttp.ClientSession() as session:
                    url_a, url_b = a.info["http_url"], b.info["http_url"]
                    reply = await QueueClient(url_a, TOKEN, session).register(RegisterRequest(name="bench"))
                    async with await A2AClient.connect(url_a, token=TOKEN) as client:
                        task = await client.send("bench", blocking=False)
                    through_a = QueueClient(url_a, reply.token, session)
                    through_b = QueueClient(url_b, reply.token, session)
                    assert await through_a.claim(reply.worker_id, task.id) is not None
                    timings: dict[str, list[float]] = {"A (queued there)": [], "B (forwarded)": []}
                    for name, client in zip(timings, (through_a, through_b), strict=True):
                        for n in range(outputs):
                            started = time.perf_counter()
                            await client.output(reply.worker_id, task.id, f"chunk {n} ")
                            timings[name].append((time.perf_counter() - started) * 1000)
            finally:
                await a.stop()
                await b.stop()
    finally:
        pg.stop()
    p50 = {name: statistics.median(values) for name, values in timings.items()}
    for name, values in timings.items():
        print(f"{name:18} p50 {p50[name]:6.2f} ms  p99 {percentile(values, 0.99):6.2f} ms  ({len(values)} outputs)")
    first, second = p50.values()
    print(f"forwarded / in-process p50 ratio: {second / first:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=int, default=300)
    asyncio.run(main(parser.parse_args().outputs))
