"""Streaming overhead per event: our provider stream against a raw aiohttp read of the same SSE body.

For each wire format, the fake LLM server (tests/fakes/llm.py) streams a reply of N small deltas.
Baseline: POST the same request with aiohttp and read the body with ``iter_any()``, doing nothing.
Ours: ``provider.stream()`` end to end (SSE/event-stream decoding, JSON, event objects, usage).
The difference divided by the number of events is what our stream adds per event (target < 10 µs).
A parser-only figure (recorded body, no network) is printed too.

    python bench/providers.py [--events 4000] [--rounds 7]
"""

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from codetether.providers import Message, ProviderSettings, Request, RetryPolicy, create_provider
from codetether.providers.http import close_shared_session, shared_session
from tests.fakes.llm import FakeLLM, Reply

FORMATS = {"openai": "openai", "anthropic": "anthropic", "gemini": "google", "bedrock": "bedrock"}


def provider_for(server: FakeLLM, fmt: str):
    base = f"{server.url}/v1" if fmt == "openai" else server.url
    settings = ProviderSettings(
        name=fmt,
        kind=FORMATS[fmt],
        base_url=base,
        api_key="bench-key-0123456789",
        retry=RetryPolicy(max_retries=0),
        region="us-east-1",
    )
    return create_provider(settings)


async def measure(fmt: str, events: int, rounds: int) -> dict[str, float]:
    server = await FakeLLM().start()
    provider = provider_for(server, fmt)
    request = Request(model="fake-large", messages=[Message.user("bench")])
    reply = Reply(text="tok" * events, chunk=3)
    body = provider.body(request, stream=True)
    url = provider.url(request, stream=True)
    headers = {"Content-Type": "application/json", **provider.headers(request, True, body)}
    raw_times, our_times, counts, raw_bytes = [], [], [], b""
    try:
        for _ in range(rounds):
            server.script(reply, reply)
            start = time.perf_counter()
            async with shared_session().post(url, data=body, headers=headers) as response:
                pieces = [chunk async for chunk in response.content.iter_any()]
            raw_times.append(time.perf_counter() - start)
            raw_bytes = b"".join(pieces)
            start = time.perf_counter()
            count = 0
            async for _event in provider.stream(request):
                count += 1
            our_times.append(time.perf_counter() - start)
            counts.append(count)
        parser_times = []
        for _ in range(rounds):
            parser = provider.stream_parser(request)
            start = time.perf_counter()
            for i in range(0, len(raw_bytes), 1400):  # about one TCP segment per read
                parser.feed(raw_bytes[i : i + 1400])
            parser.close()
            parser_times.append(time.perf_counter() - start)
    finally:
        await close_shared_session()
        await server.stop()
    raw, ours, parse = (statistics.median(t) for t in (raw_times, our_times, parser_times))
    n = statistics.median(counts)
    return {
        "events": n,
        "raw_ms": raw * 1e3,
        "ours_ms": ours * 1e3,
        "ratio": ours / raw,
        "added_us": (ours - raw) / n * 1e6,
        "parser_us": parse / n * 1e6,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"{'format':<10}{'events':>8}{'raw ms':>9}{'ours ms':>9}{'ratio':>7}{'added µs/ev':>13}{'parse µs/ev':>13}")
    for fmt in FORMATS:
        r = await measure(fmt, args.events, args.rounds)
        print(
            f"{fmt:<10}{r['events']:>8.0f}{r['raw_ms']:>9.1f}{r['ours_ms']:>9.1f}{r['ratio']:>6.2f}x"
            f"{r['added_us']:>13.2f}{r['parser_us']:>13.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
