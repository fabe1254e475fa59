"""FIFOs and devices never reach a read; a windowed read takes memory for the window, not the file."""

import asyncio
import os
import sys
import textwrap
import threading
from pathlib import Path

from .conftest import Harness
from .peak_rss import peak_rss_mb

REPO = Path(__file__).resolve().parents[2]


class FifoGuard:
    """Opens the FIFO's write end if the test is still waiting after a minute (then every second).

    Only needed when a read blocks the event loop itself (the bug): then nothing in the loop can
    end it, and this thread makes the read return instead of hanging the suite. ``fired`` says
    whether it had to.
    """

    def __init__(self, fifo: Path) -> None:
        self.fifo, self.done, self.fired = fifo, threading.Event(), False
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        wait = 60.0
        while not self.done.wait(wait):
            self.fired, wait = True, 1.0  # the test has failed already; now just keep it from hanging
            with open(self.fifo, "wb"):
                pass

    def close(self) -> None:
        self.done.set()
        self.thread.join()


async def test_read_file_refuses_a_fifo_at_once_and_the_loop_keeps_running(workspace):
    fifo = workspace / "pipe"
    os.mkfifo(fifo)
    guard = FifoGuard(fifo)
    harness = Harness(workspace)
    other = asyncio.Event()

    async def another_coroutine() -> None:
        other.set()

    try:
        outcome, _ = await asyncio.gather(harness.call("read_file", file_path="pipe"), another_coroutine())
    finally:
        guard.close()
    assert not guard.fired, "read_file blocked the event loop on a FIFO until a writer appeared"
    assert other.is_set()
    assert outcome.is_error and "pipe is a FIFO (named pipe), not a regular file" in outcome.output


async def test_every_file_tool_refuses_a_fifo_path(workspace):
    fifo = workspace / "pipe"
    os.mkfifo(fifo)
    guard = FifoGuard(fifo)
    harness = Harness(workspace)
    try:
        outputs = {
            "edit": await harness.error("edit", file_path="pipe", old_string="a", new_string="b"),
            "write_file": await harness.error("write_file", file_path="pipe", content="x"),
            "multiedit": await harness.error(
                "multiedit", edits=[{"file_path": "pipe", "old_string": "a", "new_string": "b"}]
            ),
            "apply_patch": await harness.error(
                "apply_patch", patch="*** Begin Patch\n*** Update File: pipe\n-a\n+b\n*** End Patch"
            ),
            "grep": await harness.error("grep", pattern="x", path="pipe"),
            "image": await harness.error("image", file_path="pipe"),
        }
    finally:
        guard.close()
    assert not guard.fired
    for tool, output in outputs.items():
        assert "FIFO (named pipe), not a regular file" in output, (tool, output)
    assert fifo.exists() and not fifo.is_file()  # write_file did not replace the pipe with a file


async def test_directory_walks_skip_a_fifo(workspace):
    os.mkfifo(workspace / "pipe")
    (workspace / "code.py").write_text("def needle():\n    return 1\n")
    guard = FifoGuard(workspace / "pipe")
    harness = Harness(workspace)
    try:
        assert "code.py" in await harness.ok("grep", pattern="needle")
        assert "code.py" in await harness.ok("glob", pattern="*")
        assert "code.py" in await harness.ok("list_dir")
        assert "code.py:1" in await harness.ok("codesearch", query="needle")
    finally:
        guard.close()
    assert not guard.fired


async def test_read_file_refuses_a_character_device(workspace):
    harness = Harness(workspace, rules={"external_directory": {"/dev/*": "allow"}})
    output = await harness.error("read_file", file_path="/dev/null")
    assert "/dev/null is a character device, not a regular file" in output


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tests.tools.conftest import Harness

    async def main():
        harness = Harness(Path(sys.argv[1]))
        print(await harness.ok("read_file", file_path="big.txt", offset=2, limit=5))

    asyncio.run(main())
    """
)


def test_read_file_window_of_a_1gb_file_stays_small_in_memory(workspace):
    big = workspace / "big.txt"
    with open(big, "wb") as fh:
        fh.write(b"".join(b"line %d\n" % n for n in range(1, 2001)))  # more text than binary sniffing reads
        fh.truncate(1 << 30)  # a 1 GiB sparse file: 2000 lines, then one very long line of NULs
    peak_mb, code, output = peak_rss_mb([sys.executable, "-c", _CHILD, str(workspace)], cwd=REPO)
    assert code == 0, output
    assert output.splitlines()[:5] == [f"{n:6}\tline {n}" for n in range(2, 7)]
    assert "(showing lines 2-6 of 2001; use offset=7 to read on)" in output
    assert peak_mb < 200, f"reading 5 lines of a 1 GiB file peaked at {peak_mb:.0f} MB"
