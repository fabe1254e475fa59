"""Waiting for a process to end by watching it (a pidfd), so tests need neither sleeps nor stopwatches."""

import asyncio
import os
from pathlib import Path

# Only a bound for a test that would otherwise hang; the processes watched run for far longer.
HANG_GUARD = 60.0


async def exited(pid: int) -> bool:
    """True once ``pid`` has ended (zombies count: what matters is that it can no longer act)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    loop = asyncio.get_running_loop()
    ended = loop.create_future()
    loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
    try:
        await asyncio.wait_for(ended, HANG_GUARD)
    except TimeoutError:
        return False
    else:
        return True
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def group_members(pgid: int) -> list[int]:
    """Every process still in process group ``pgid``, zombies included (from /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue  # ended while we looked
            fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, ...
            if int(fields[2]) == pgid:
                members.append(int(entry))
    return members
