"""Bus throughput and latency: compiled ringbus vs its pure twin vs an asyncio.Queue fan-out baseline.

For 1, 8 and 64 subscribers on wildcard patterns (`agent.*.events`), one publisher writes N envelopes
and every subscriber receives all of them (batch receive: `poll`). Reported per implementation:
messages published per second while each subscriber drains them, deliveries per second, and the p99
publish→receive latency of single messages (publish one, poll every subscriber, repeat).

    python bench/bus.py [--messages 200000]
"""

import argparse
import asyncio
import importlib
import statistics
import time

PATTERN = "agent.*.events"
TOPICS = [f"agent.a{i}.events" for i in range(16)]


def throughput(module, subscribers: int, messages: int, batch: int = 1024) -> tuple[float, float]:
    bus = module.RingBus(65536)
    sids = [bus.subscribe(PATTERN) for _ in range(subscribers)]
    envelope = ("envelope", {"text": "hello"})
    publish, poll = bus.publish, bus.poll
    start = time.perf_counter()
    received = 0
    for chunk in range(0, messages, batch):
        for i in range(chunk, min(chunk + batch, messages)):
            publish(TOPICS[i & 15], envelope)
        for sid in sids:
            received += len(poll(sid)[0])
    elapsed = time.perf_counter() - start
    assert received == messages * subscribers
    return messages / elapsed, received / elapsed


def latency(module, subscribers: int, samples: int = 20000) -> float:
    bus = module.RingBus(65536)
    sids = [bus.subscribe(PATTERN) for _ in range(subscribers)]
    times = []
    for i in range(samples):
        start = time.perf_counter_ns()
        bus.publish(TOPICS[i & 15], i)
        for sid in sids:
            bus.poll(sid)
        times.append(time.perf_counter_ns() - start)
    return statistics.quantiles(times, n=100)[98] / 1000


async def queue_throughput(subscribers: int, messages: int) -> tuple[float, float]:
    """Baseline: the usual asyncio fan-out, one Queue per subscriber and a topic check per delivery."""
    queues = [asyncio.Queue() for _ in range(subscribers)]
    envelope = ("envelope", {"text": "hello"})
    start = time.perf_counter()
    received = 0
    for chunk in range(0, messages, 1024):
        for i in range(chunk, min(chunk + 1024, messages)):
            topic = TOPICS[i & 15]
            parts = topic.split(".")
            for q in queues:
                if len(parts) == 3 and parts[0] == "agent" and parts[2] == "events":
                    q.put_nowait(envelope)
        for q in queues:
            while not q.empty():
                q.get_nowait()
                received += 1
    elapsed = time.perf_counter() - start
    return messages / elapsed, received / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    n = parser.parse_args().messages
    twins = {
        "compiled": importlib.import_module("ctcore._ringbus_c"),
        "pure": importlib.import_module("ctcore._ringbus_py"),
    }
    print(f"{'impl':<10}{'subs':>5}{'published/s':>14}{'delivered/s':>14}{'p99 µs':>9}")
    results = {}
    for subs in (1, 8, 64):
        count = n if subs <= 8 else n // 8
        for name, module in twins.items():
            pub, deliv = throughput(module, subs, count if name == "compiled" else count // 4)
            p99 = latency(module, subs, 20000 if name == "compiled" else 5000)
            results[(name, subs)] = pub
            print(f"{name:<10}{subs:>5}{pub:>14,.0f}{deliv:>14,.0f}{p99:>9.2f}")
        pub, deliv = asyncio.run(queue_throughput(subs, count // 4))
        results[("queue", subs)] = pub
        print(f"{'queue':<10}{subs:>5}{pub:>14,.0f}{deliv:>14,.0f}{'-':>9}")
    for subs in (1, 8, 64):
        print(
            f"{subs:>3} subscribers: compiled/pure {results[('compiled', subs)] / results[('pure', subs)]:.1f}x, "
            f"compiled/asyncio.Queue {results[('compiled', subs)] / results[('queue', subs)]:.1f}x"
        )


if __name__ == "__main__":
    main()
