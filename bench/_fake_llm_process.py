"""The fake LLM server as its own process, for benchmarks that must not share a process with it.

    python bench/_fake_llm_process.py SCRIPT.json REPORT.jsonl
Prints the port on stdout, then serves until terminated. Each request's sizes and arrival time go to REPORT.jsonl.
"""

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.llm import Call, FakeLLM, Reply


async def main(script_path: str, report_path: str) -> None:
    items = json.loads(Path(script_path).read_text())
    server = await FakeLLM().start()
    server.script(
        *[
            Reply(text=i.get("text", ""), calls=[Call(c["name"], c["arguments"]) for c in i.get("calls", [])])
            for i in items
        ]
    )
    report = open(report_path, "a", encoding="utf-8")  # noqa: SIM115
    seen = 0

    async def watch() -> None:
        nonlocal seen
        while True:
            await asyncio.sleep(0.001)  # fine enough to time the first request's arrival
            now = time.time()
            for recorded in server.requests[seen:]:
                body = recorded.body
                system = sum(len(m["content"]) for m in body.get("messages", []) if m["role"] == "system")
                tools = len(json.dumps(body.get("tools", []), separators=(",", ":")))
                report.write(
                    json.dumps(
                        {"system_bytes": system, "tools_bytes": tools, "body_bytes": len(json.dumps(body)), "t": now}
                    )
                    + "\n"
                )
                report.flush()
            seen = len(server.requests)

    print(server.port, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    watcher = asyncio.create_task(watch())
    await stop.wait()
    watcher.cancel()
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
