"""The chat transcript: a virtualised list of rows fed by a run's bus events.

Rows live in a ``SimpleFocusListWalker`` inside a ``ListBox``, which renders only the rows on screen,
so a transcript of thousands of rows costs a frame what a short one does. Streamed text is buffered
and applied in :meth:`ChatView.flush`, which the app calls at most once per frame.
"""

import urwid

from .. import events
from ..tools.registry import describe  # the one summary of a tool call (views know names, not ToolDefs)
from . import markdown
from .rows import ToolRow, block_row, note_row, user_row


class ChatView(urwid.WidgetWrap):
    """The transcript; ``handle(event, sub_agent)`` takes run events, ``flush()`` applies buffered text."""

    def __init__(self) -> None:
        self.walker = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        self.follow = True  # stick to the bottom until the user scrolls up
        self.tools: dict[str, ToolRow] = {}
        self.selected: ToolRow | None = None
        self._stream: markdown.StreamingMarkdown | None = None
        self._tail: urwid.Text | None = None
        self._buffer: list[str] = []
        self.dirty = False
        super().__init__(self.listbox)

    # --- rows ---------------------------------------------------------------------------------------
    def append(self, row: urwid.Widget) -> None:
        self.walker.append(row)
        if self.follow:
            self.walker.set_focus(len(self.walker) - 1)
        self.dirty = True

    def add_user(self, text: str) -> None:
        self._end_text()
        self.append(user_row(text))

    def add_note(self, text: str, style: str = "dim") -> None:
        self._end_text()
        self.append(note_row(text, style))

    def clear(self) -> None:
        self._end_text()
        self.walker.clear()
        self.tools.clear()
        self.selected = None
        self.follow = True
        self.dirty = True

    # --- events -------------------------------------------------------------------------------------
    def handle(self, event: object, sub_agent: bool = False) -> None:
        if isinstance(event, events.TextDelta) and not sub_agent:
            self._buffer.append(event.text)
            self.dirty = True
        elif isinstance(event, events.ToolCallStarted):
            self._end_text()
            row = ToolRow(
                event.call_id,
                event.name,
                event.arguments,
                describe(event.name, event.arguments, 100),
                indent=2 if sub_agent else 0,
            )
            self.tools[event.call_id] = row
            self.append(row)
        elif isinstance(event, events.ToolOutput):
            row = self.tools.get(event.call_id)
            if row is not None:
                row.add_output(event.text)
                self.dirty = True
        elif isinstance(event, events.ToolCallFinished):
            row = self.tools.get(event.call_id)
            if row is not None:
                row.finish(event.output, event.is_error, event.duration_ms)
                self.dirty = True
        elif sub_agent:
            return
        elif isinstance(event, events.Compacted):
            how = "summarised" if event.summarised else "pruned"
            self.add_note(f"context {how}: ~{event.tokens_before} → ~{event.tokens_after} tokens")
        elif isinstance(event, events.Finished):
            self.flush()
            self._end_text()
            if event.status == events.RunStatus.ERROR:
                self.add_note(f"error: {event.error}", "error")
            elif event.status not in (events.RunStatus.SUBMITTED, events.RunStatus.INTERRUPTED):
                self.add_note(f"[{event.status}] after {event.steps} steps", "dim")

    def flush(self) -> None:
        """Apply the buffered text: finished blocks become rows, the open block is re-rendered."""
        if not self._buffer:
            return
        text = "".join(self._buffer)
        self._buffer.clear()
        if self._stream is None:
            self._stream = markdown.StreamingMarkdown()
            self._tail = block_row([("body", "")])
            self.append(self._tail)
        assert self._tail is not None
        for block in self._stream.feed(text):
            spaced = [*markdown.render_block(block), ("body", "\n")]  # a blank line between blocks
            self.walker.insert(self.walker.index(self._tail), block_row(spaced))
        self._tail.set_text(markdown.render_block(self._stream.pending) if self._stream.pending.strip() else "")
        if self.follow:
            self.walker.set_focus(len(self.walker) - 1)
        self.dirty = True

    def _end_text(self) -> None:
        self.flush()
        if self._tail is not None and not self._tail.text:
            self.walker.remove(self._tail)
        self._stream = None
        self._tail = None

    # --- moving around ------------------------------------------------------------------------------
    def scroll(self, rows: int) -> None:
        if not self.walker:
            return
        _, position = self.walker.get_focus()
        target = max(0, min(len(self.walker) - 1, (position or 0) + rows))
        self.walker.set_focus(target)
        self.follow = target == len(self.walker) - 1
        self._select(self.walker[target])

    def page(self, key: str, size: tuple[int, int]) -> None:
        self.listbox.keypress(size, key)
        _, position = self.walker.get_focus()
        self.follow = position == len(self.walker) - 1

    def _select(self, row: urwid.Widget) -> None:
        if self.selected is not None:
            self.selected.selected = False
            self.selected.refresh()
        self.selected = row if isinstance(row, ToolRow) else None
        if self.selected is not None:
            self.selected.selected = True
            self.selected.refresh()
        self.dirty = True

    def toggle_tool(self) -> None:
        """Expand or collapse the selected tool call, or the latest one when none is selected."""
        row = self.selected or next((r for r in reversed(self.walker) if isinstance(r, ToolRow)), None)
        if row is not None:
            row.toggle()
            self.dirty = True
