"""The swarm view: one row per sub-agent (state, steps, last action); Enter opens its transcript.

It follows ``swarm.#``: a swarm's own ``SwarmEvent``s (``swarm.{id}``) set each subtask's state, and
each sub-agent's run events (``swarm.{id}.{subtask}``) feed its row and its own transcript, a
:class:`~codetether.tui.chat.ChatView` like the main one. Tab moves to the next agent.
"""

import urwid

from .. import events
from ..bus import segment
from ..tools.registry import describe
from .chat import ChatView

MARKS = {"running": "⋯", "done": "✓", "failed": "✗", "timeout": "⌛", "skipped": "-", "pending": "·"}


class Agent:
    def __init__(self, swarm_id: str, name: str) -> None:
        self.swarm_id = swarm_id
        self.name = name
        self.state = "pending"
        self.steps = 0
        self.last = ""
        self.transcript = ChatView()


class SwarmView(urwid.WidgetWrap):
    def __init__(self) -> None:
        self.agents: dict[tuple[str, str], Agent] = {}  # (swarm id, topic segment) -> agent
        self.notes: list[str] = []
        self.walker = urwid.SimpleFocusListWalker([])
        self.header = urwid.Text(("heading", "Swarm — no swarm has run in this session yet (/swarm TASK starts one)"))
        self.list = urwid.Pile([("pack", self.header), ("pack", urwid.Divider("─")), urwid.ListBox(self.walker)])
        self.opened: Agent | None = None
        self.dirty = False
        super().__init__(self.list)

    def handle(self, envelope) -> None:
        event = envelope.message
        parts = envelope.topic.split(".")
        if isinstance(event, events.SwarmEvent):
            self._swarm_event(event)
        elif len(parts) >= 3:
            agent = self.agents.get((parts[1], parts[2]))
            if agent is not None:
                self._run_event(agent, event, sub_agent=len(parts) > 3)
        self.dirty = True

    def _swarm_event(self, event: events.SwarmEvent) -> None:
        if event.kind == events.SwarmKind.STARTED:
            self.header.set_text(("heading", f"Swarm {event.swarm_id}: {event.detail[:200]}"))
        elif event.kind == events.SwarmKind.SUBTASK:
            key = (event.swarm_id, segment(event.subtask))
            agent = self.agents.get(key)
            if agent is None:
                agent = self.agents[key] = Agent(event.swarm_id, event.subtask)
            agent.state = str(event.state) or agent.state
            agent.steps = max(agent.steps, event.steps)
            if event.detail:
                agent.last = event.detail
        elif event.kind == events.SwarmKind.FINISHED:
            self.header.set_text(("heading", f"Swarm {event.swarm_id}: finished ({event.state}) {event.detail[:100]}"))
        else:
            self.notes.append(f"[{event.kind}] {event.subtask} {event.detail}".strip())
        self.redraw()

    def _run_event(self, agent: Agent, event: object, sub_agent: bool) -> None:
        agent.transcript.handle(event, sub_agent)
        agent.transcript.flush()
        if isinstance(event, events.UsageUpdate):
            agent.steps += 1
        elif isinstance(event, events.ToolCallStarted):
            agent.last = describe(event.name, event.arguments, 60)
        elif isinstance(event, events.Finished):
            agent.last = f"{event.status}: {' '.join(event.text.split())[:60]}"
        self.redraw()

    def redraw(self) -> None:
        _, focus = self.walker.get_focus()
        rows = []
        for agent in self.agents.values():
            mark = MARKS.get(agent.state, "·")
            line = f"{mark} {agent.name[:24]:<24} {agent.state:<8} step {agent.steps:<3} {agent.last}"
            rows.append(urwid.AttrMap(urwid.SelectableIcon(line, 0), "body", "selected"))
        rows += [urwid.Text(("dim", note)) for note in self.notes[-5:]]
        self.walker[:] = rows
        if rows:
            self.walker.set_focus(min(focus or 0, len(rows) - 1))

    def next_agent(self) -> None:
        if not self.agents:
            return
        _, focus = self.walker.get_focus()
        target = ((focus or 0) + 1) % len(self.agents)
        self.walker.set_focus(target)
        if self.opened is not None:
            self.open(target)

    def open(self, index: int) -> None:
        agent = list(self.agents.values())[index]
        self.opened = agent
        title = urwid.Text(("heading", f"{agent.name} — {agent.state}, step {agent.steps} (Esc: back, Tab: next)"))
        self._w = urwid.Pile([("pack", title), ("pack", urwid.Divider("─")), agent.transcript])

    def back(self) -> bool:
        """Close an open transcript; False when there was none."""
        if self.opened is None:
            return False
        self.opened = None
        self._w = self.list
        return True

    def keypress(self, size, key: str) -> str | None:
        if self.opened is None and key == "enter" and self.agents:
            _, focus = self.walker.get_focus()
            if focus is not None and focus < len(self.agents):
                self.open(focus)
            return None
        return super().keypress(size, key)
