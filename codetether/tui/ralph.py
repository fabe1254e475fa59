"""The Ralph view: per-story progress and the current check, from ``ralph.*`` events on the bus.

Every ``RalphProgress`` updates its story's row (state and detail); the latest event is shown as the
current check.
"""

import urwid

from .. import events

MARKS = {"passed": "✓", "done": "✓", "failed": "✗", "running": "⋯", "checking": "⋯", "pending": "·"}


class RalphView(urwid.WidgetWrap):
    def __init__(self) -> None:
        self.stories: dict[str, tuple[str, str]] = {}  # story -> (state, detail)
        self.current = urwid.Text(("dim", "no Ralph run in this session yet"))
        self.walker = urwid.SimpleFocusListWalker([])
        pile = urwid.Pile(
            [
                ("pack", urwid.Text(("heading", "Ralph"))),
                ("pack", self.current),
                ("pack", urwid.Divider("─")),
                urwid.ListBox(self.walker),
            ]
        )
        self.dirty = False
        super().__init__(pile)

    def handle(self, envelope) -> None:
        event = envelope.message
        if not isinstance(event, events.RalphProgress):
            return
        self.stories[event.story] = (event.state, event.detail)
        self.current.set_text(
            [
                ("accent", f"{envelope.topic}: "),
                ("body", f"{event.story} — {event.state}"),
                ("dim", f"  {event.detail[:200]}" if event.detail else ""),
            ]
        )
        done = sum(1 for state, _ in self.stories.values() if state in ("passed", "done"))
        rows = [urwid.Text(("dim", f"{done}/{len(self.stories)} stories passed"))]
        for story, (state, detail) in self.stories.items():
            mark = MARKS.get(state, "·")
            rows.append(urwid.Text(f"{mark} {story[:30]:<30} {state:<10} {detail[:120]}", wrap="ellipsis"))
        self.walker[:] = rows
        self.dirty = True
