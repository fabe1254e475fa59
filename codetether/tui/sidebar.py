"""The webview layout's sidebar: this directory's sessions and the agents seen on the bus."""

import urwid

from .. import events


class Sidebar(urwid.WidgetWrap):
    def __init__(self) -> None:
        self.sessions: list[tuple[str, str]] = []  # (id, title)
        self.current = ""
        self.agents: dict[str, str] = {}  # topic -> state
        self.body = urwid.SimpleFocusListWalker([])
        super().__init__(urwid.AttrMap(urwid.ListBox(self.body), "sidebar"))
        self.dirty = False

    def set_sessions(self, sessions: list[tuple[str, str]], current: str) -> None:
        self.sessions = sessions
        self.current = current
        self.redraw()

    def handle(self, envelope) -> None:
        event = envelope.message
        if isinstance(event, events.SessionStarted):
            self.agents[envelope.topic] = "working"
            if event.session_id not in [s for s, _ in self.sessions] and envelope.topic.count(".") == 1:
                self.sessions.insert(0, (event.session_id, event.model))
        elif isinstance(event, events.Finished):
            self.agents[envelope.topic] = str(event.status)
        elif isinstance(event, events.SwarmEvent) and event.kind == events.SwarmKind.SUBTASK:
            self.agents[f"swarm.{event.swarm_id}.{event.subtask}"] = str(event.state)
        else:
            return
        self.redraw()

    def redraw(self) -> None:
        rows: list[urwid.Widget] = [urwid.Text(("heading", "Sessions"))]
        for session_id, title in self.sessions[:30]:
            mark = "●" if session_id == self.current else " "
            rows.append(urwid.Text([("accent", mark), ("sidebar", f" {session_id[:14]} {title}")], wrap="ellipsis"))
        rows += [urwid.Divider(), urwid.Text(("heading", "Agents"))]
        if not self.agents:
            rows.append(urwid.Text(("dim", " none running")))
        for topic, state in list(self.agents.items())[-20:]:
            rows.append(urwid.Text(("sidebar", f" {topic.split('.', 1)[-1][:18]} {state}"), wrap="ellipsis"))
        self.body[:] = rows
        self.dirty = True
