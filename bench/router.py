"""Latency of one tool-router call on the Gemma 3 270M GGUF, with and without the cached tool-list prefix.

One routing call = the prompt (instructions, every built-in tool's signature, worked examples: ~1,000
tokens, the same all session) + the reply to route, then a grammar-bound answer of ~20 tokens.
Baseline ("uncached"): the context is reset before each call, so the whole prompt is evaluated.
Ours: the prefix's KV state is kept. "restored" loads the saved state after something else used the
context (the llama-cpp provider sharing the model: the usual case); "live" finds it still in place.
Every mode routes the same replies at temperature 0. Target: restored <= 1.5 s on 2 cores, >= 3x the
baseline. Other processes share this machine: the load average is printed beside the figures.

    python bench/router.py [--rounds 3]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codetether.providers.base import ProviderSettings
from codetether.providers.llama_calls import ToolCaller, prompt_prefix
from codetether.providers.llama_local import DEFAULT_MODEL, load_model, resolve_model_path
from codetether.tools.registry import BUILTIN_TOOLS, builtin_tools

REPLIES = [
    "I'll open greet.py to see what it returns.",
    "Let me search the code for the definition of greet.",
    "Next I will run the test suite with pytest.",
    "Let me see which files the project has.",
    "I'm going to find every Markdown file in the docs.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each reply is routed per mode")
    args = parser.parse_args()

    path = resolve_model_path(DEFAULT_MODEL, ProviderSettings(name="llama-cpp", kind="llama-cpp"))
    llm, lock = load_model(str(path), 4096)  # as the router and the provider load it
    specs = [t.spec() for t in builtin_tools(list(BUILTIN_TOOLS))]
    prefix_tokens = len(llm.tokenize(prompt_prefix(specs).encode()))
    cached, uncached = ToolCaller(llm, lock), ToolCaller(llm, lock, cache_prefix=False)
    cached.call(specs, "warm up", temperature=0)  # builds the grammar and saves the prefix state
    other = llm.tokenize(b"The llama-cpp provider answered something else in between.")

    def timed(caller: ToolCaller, reply: str, disturb: bool) -> tuple[float, str]:
        if disturb:
            llm.reset()
            llm.eval(other)
        start = time.perf_counter()
        call = caller.call(specs, reply, temperature=0)
        return time.perf_counter() - start, f"{call.name} {call.arguments}" if call else "(no call)"

    modes = {"uncached": (uncached, False), "restored": (cached, True), "live": (cached, False)}
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    answers: dict[str, set[str]] = {}
    for _ in range(args.rounds):
        for reply in REPLIES:
            for mode, (caller, disturb) in modes.items():
                seconds, answer = timed(caller, reply, disturb)
                times[mode].append(seconds)
                answers.setdefault(reply, set()).add(answer)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"model {path.name}, prefix {prefix_tokens} tokens, {len(specs)} tools, threads {llm.n_threads}")
    print(f"machine: {os.cpu_count()} cores, load average {load} (shared with other processes)")
    base = statistics.median(times["uncached"])
    for mode, values in times.items():
        median = statistics.median(values)
        print(
            f"{mode:9s} median {median:6.2f} s  mean {statistics.mean(values):6.2f} s  "
            f"min {min(values):6.2f} s  speed-up x{base / median:4.1f}  (n={len(values)})"
        )
    for reply, seen in answers.items():
        print(f"  {reply!r} -> {' | '.join(sorted(seen))}")  # one answer per reply: caching changes nothing


if __name__ == "__main__":
    main()
