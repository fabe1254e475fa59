"""Live status lines on a terminal, one per key, that the swarm and Ralph views redraw in place.

On a terminal the block of lines is cleared (cursor up, erase down) and drawn again at each change,
with notes printed above it; elsewhere (logs, CI) each change is one appended line.
"""

import sys
from typing import TextIO


class LiveLines:
    """A base for a view made of keyed status lines and notes."""

    def __init__(self, *, tty: bool, out: TextIO = sys.stderr) -> None:
        self.tty = tty
        self.out = out
        self.lines: dict[str, str] = {}
        self.drawn = 0  # how many lines the last redraw wrote (what the next clear moves up over)

    def _show(self, key: str, line: str) -> None:
        """Set ``key``'s line and show the change."""
        self.lines[key] = line
        if not self.tty:
            self.out.write(line + "\n")
            self.out.flush()
            return
        self._clear()
        self._redraw()

    def _note(self, text: str) -> None:
        if self.tty:
            self._clear()
        self.out.write(text + "\n")
        if self.tty:
            self._redraw()
        self.out.flush()

    def _clear(self) -> None:
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _redraw(self) -> None:
        for line in self.lines.values():
            self.out.write(line + "\n")
        self.drawn = len(self.lines)
        self.out.flush()
