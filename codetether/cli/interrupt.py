"""Ctrl+C for a command that runs an agent: SIGINT cancels the run, which ends it ``interrupted``.

``asyncio.run`` installs its own SIGINT handler only while SIGINT has Python's default handler. A
process started in the background by a non-interactive shell (``codetether run ... &`` in a script,
a CI step, a test runner that was itself backgrounded) inherits SIGINT *ignored*, so ``kill -INT``
did nothing and the run went on to its next model turn. An agent run must stop when asked however
it was started, so the handler here is installed unconditionally (``serve`` does the same). A second
SIGINT gives up waiting for the orderly ending.
"""

import asyncio
import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def sigint_cancels_current_task() -> Iterator[None]:
    """While inside, SIGINT cancels the task that entered; a second SIGINT raises KeyboardInterrupt."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received = 0

    def on_sigint() -> None:
        nonlocal received
        received += 1
        if received == 1 and task is not None and not task.done():
            task.cancel()
            return
        raise KeyboardInterrupt

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or no signals here (Windows)
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)
