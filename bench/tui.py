"""The TUI's numbers: launch to first frame, idle RSS, and frames while 2,000 tokens/s stream in.

    python bench/tui.py [--tokens 10000] [--rate 2000]

The real ``codetether tui`` runs in a real terminal (a private tmux server, 120x40) against a paced
OpenAI-compatible SSE server in this process. The TUI writes each frame's draw time to the file named
by ``CODETETHER_TUI_TRACE``. Baseline, measured in the same run and terminal: a bare urwid program
(one Text, the same raw screen) for the first frame and RSS. Targets (issue 16): first frame
<= 300 ms, idle RSS <= 60 MiB, no frame over 50 ms. Figures from a shared, loaded machine vary.
"""

import argparse
import asyncio
import itertools
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
BARE = """
import asyncio, os, time, urwid
async def main():
    event_loop = urwid.AsyncioEventLoop(loop=asyncio.get_running_loop())
    loop = urwid.MainLoop(urwid.Filler(urwid.Text("hello")), event_loop=event_loop)
    with loop.start():
        loop.draw_screen()
        open(os.environ["TRACE"], "a").write(f"frame {time.time():.6f} 0\\n")
        await asyncio.sleep(3600)
asyncio.run(main())
"""


class PacedServer:
    """Streams ``tokens`` words as OpenAI chat-completion chunks at ``rate`` tokens per second."""

    def __init__(self, tokens: int, rate: int) -> None:
        self.tokens = tokens
        self.rate = rate
        self.started = 0.0
        self.ended = 0.0

    async def chat(self, request: web.Request) -> web.StreamResponse:
        await request.json()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self.started = time.monotonic()
        per_tick = 10  # 10 tokens every 5 ms at 2,000/s
        sent = 0
        while sent < self.tokens:
            words = "".join(
                f"tok{(sent + i) % 97} " + ("\n\n" if (sent + i) % 60 == 59 else "") for i in range(per_tick)
            )
            sent += per_tick
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": words}, "finish_reason": None}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await asyncio.sleep(max(0.0, self.started + sent / self.rate - time.monotonic()))
        final = {
            "id": "c",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": self.tokens},
        }
        await response.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
        self.ended = time.monotonic()
        return response

    async def start(self) -> int:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def tmux(socket: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec("tmux", "-L", socket, *args, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return out.decode()


def frames(trace: Path) -> list[tuple[float, float]]:
    if not trace.exists():
        return []
    rows = [line.split() for line in trace.read_text().splitlines() if line.startswith("frame ")]
    return [(float(ts), float(ms)) for _, ts, ms in rows]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the TUI did not get there in time")
        await asyncio.sleep(0.01)


async def launch(command: str, env: dict[str, str], trace: Path) -> tuple[str, float, int]:
    """Start ``command`` in a fresh 120x40 tmux; (socket, seconds to its first frame, pid)."""
    socket = f"bench-{uuid.uuid4().hex[:8]}"
    flags = [f for k, v in env.items() for f in ("-e", f"{k}={v}")]
    started = time.time()
    await tmux(
        socket, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "120", "-y", "40", *flags, f"exec {command}"
    )
    await wait(lambda: bool(frames(trace)))
    pid = int((await tmux(socket, "display-message", "-p", "-t", "b", "#{pane_pid}")).strip())
    return socket, frames(trace)[0][0] - started, pid


def transcript_cost(rows: int) -> float:
    """Median ms to draw a 120x40 chat whose transcript has ``rows`` rows (a fresh row each time, as streaming does)."""
    sys.path.insert(0, str(ROOT))
    from codetether import events
    from codetether.tui.chat import ChatView

    chat = ChatView()
    for i in range(rows // 3):
        chat.add_user(f"prompt {i}")
        chat.handle(events.ToolCallStarted(call_id=f"c{i}", name="bash", arguments='{"command": "ls"}'))
        chat.handle(events.TextDelta(text=f"answer {i} " * 20 + "\n\n"))
        chat.flush()
    times = []
    for i in range(50):
        chat.handle(events.TextDelta(text=f"more {i} "))
        chat.flush()
        started = time.perf_counter()
        chat.render((120, 40), focus=False)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=2_000)
    args = parser.parse_args()
    server = PacedServer(args.tokens, args.rate)
    port = await server.start()
    home = Path(tempfile.mkdtemp(prefix="tui-bench-"))
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text(
        f'[providers.fake]\nkind = "openai"\nbase_url = "http://127.0.0.1:{port}/v1"\n'
    )
    env = {
        "HOME": str(home),
        "CODETETHER_CONFIG": str(home / "config" / "config.toml"),
        "CODETETHER_DATA_DIR": str(home / "data"),
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"]

    base_trace = home / "bare.trace"
    bare = home / "bare.py"
    bare.write_text(BARE)
    socket, bare_first, bare_pid = await launch(
        f"{shlex.quote(sys.executable)} {bare}", {**env, "TRACE": str(base_trace)}, base_trace
    )
    await asyncio.sleep(1.0)  # idle: let start-up allocations settle before reading RSS
    bare_rss = rss_mib(bare_pid)
    await tmux(socket, "kill-server")

    trace = home / "tui.trace"
    command = f"{shlex.quote(sys.executable)} -m codetether tui --model fake/fake-large"
    (home / "work").mkdir()
    socket, first, pid = await launch(
        f"sh -c 'cd {home / 'work'} && exec {command}'", {**env, "CODETETHER_TUI_TRACE": str(trace)}, trace
    )
    await asyncio.sleep(1.0)
    idle_rss = rss_mib(pid)
    before = len(frames(trace))
    await tmux(socket, "send-keys", "-t", "b", "-l", "stream please")
    await tmux(socket, "send-keys", "-t", "b", "Enter")
    await wait(lambda: server.ended > 0, timeout=120)
    await asyncio.sleep(0.3)
    streamed = [f for f in frames(trace)[before:] if f[0] >= time.time() - (time.monotonic() - server.started) - 0.05]
    streaming_rss = rss_mib(pid)
    screen = await tmux(socket, "capture-pane", "-p", "-t", "b")
    await tmux(socket, "kill-server")

    draw = [ms for _, ms in streamed]
    gaps = [(b[0] - a[0]) * 1000 for a, b in itertools.pairwise(streamed)]
    print(f"machine: {os.cpu_count()} CPUs, shared with other work (figures are noisy); terminal: tmux 120x40")
    print(
        f"launch -> first frame: {first * 1000:.0f} ms   (bare urwid program: {bare_first * 1000:.0f} ms, "
        f"ratio {first / bare_first:.1f}x; target <= 300 ms)"
    )
    print(
        f"idle RSS: {idle_rss:.1f} MiB   (bare urwid program: {bare_rss:.1f} MiB, ratio {idle_rss / bare_rss:.1f}x; "
        f"target <= 60 MiB); after streaming {args.tokens} tokens: {streaming_rss:.1f} MiB"
    )
    if draw:
        print(
            f"streaming {args.tokens} tokens at {args.rate}/s over {server.ended - server.started:.2f} s: "
            f"{len(draw)} frames, draw time p50 {statistics.median(draw):.1f} ms, "
            f"p99 {sorted(draw)[int(len(draw) * 0.99) - 1]:.1f} ms, max {max(draw):.1f} ms; "
            f"frames over 50 ms: {sum(1 for d in draw if d > 50)} (target 0)"
        )
        if gaps:
            print(
                f"  gap between frames: p50 {statistics.median(gaps):.1f} ms, max {max(gaps):.1f} ms "
                f"(the 16 ms frame budget throttles drawing; a long gap means the loop was busy)"
            )
    short, long = transcript_cost(30), transcript_cost(30_000)
    print(
        f"draw with a 30,000-row transcript: {long:.2f} ms vs 30 rows: {short:.2f} ms "
        f"(ratio {long / short:.1f}x; the ListBox draws only the rows on screen)"
    )
    print("last screen line:", screen.rstrip().splitlines()[-1] if screen.strip() else "(empty)")


if __name__ == "__main__":
    asyncio.run(main())
