"""The Ralph view: per-story progress and the current check, from ``ralph.#`` events on the bus.

``RalphProgress`` events (topic ``ralph.{prd_id}.{state}``) drive it: ``run`` sets the totals,
``started``/``iteration`` mark a story as being worked on, ``check`` shows the check running now and
how it ended, ``passed``/``failed``/``blocked`` settle a story, ``learning`` keeps what the agent
learned, ``finished`` closes the run.
"""

from dataclasses import dataclass, field

import urwid

from ..bus import segment
from ..events import RalphProgress, RalphState, ToolCallStarted
from ..tools.registry import describe

MARKS = {"passed": "✓", "failed": "✗", "blocked": "⊘", "working": "⋯", "pending": "·"}


@dataclass
class Story:
    name: str
    state: str = "pending"
    iteration: int = 0
    last: str = ""
    learnings: list[str] = field(default_factory=list)


class RalphView(urwid.WidgetWrap):
    def __init__(self) -> None:
        self.stories: dict[str, Story] = {}
        self.prd = ""
        self.passed = 0
        self.total = 0
        self.ended = ""
        self.title = urwid.Text(("heading", "Ralph"))
        self.current = urwid.Text(("dim", "no Ralph run in this session yet"))
        self.walker = urwid.SimpleFocusListWalker([])
        pile = urwid.Pile(
            [
                ("pack", self.title),
                ("pack", self.current),
                ("pack", urwid.Divider("─")),
                urwid.ListBox(self.walker),
            ]
        )
        self.dirty = False
        super().__init__(pile)

    def handle(self, envelope) -> None:
        event = envelope.message
        if not isinstance(event, RalphProgress):
            self._agent_event(envelope)
            return
        topic_prd = envelope.topic.split(".")[1] if envelope.topic.count(".") >= 1 else ""
        self.prd = event.prd_id or self.prd or topic_prd
        story = self.stories.get(event.story) if event.story else None
        if event.story and story is None:
            story = self.stories[event.story] = Story(event.story)
        state = event.state
        if state == RalphState.RUN:
            self.total, self.passed, self.ended = event.total, event.passed, ""
        elif state == RalphState.FINISHED:
            self.passed, self.total = event.passed or self.passed, event.total or self.total
            self.ended = event.detail or "finished"
        elif story is not None:
            self._story_event(story, event)
        self._current(event)
        self.redraw()

    def _agent_event(self, envelope) -> None:
        """A story agent's own run events (``ralph.{prd}.agent.{story}``): its latest tool call is its last action."""
        parts = envelope.topic.split(".")
        if len(parts) < 4 or parts[2] != "agent" or not isinstance(envelope.message, ToolCallStarted):
            return
        story = next((s for s in self.stories.values() if segment(s.name) == parts[3]), None)
        if story is not None:
            story.last = describe(envelope.message.name, envelope.message.arguments, 80)
            self.redraw()

    def _story_event(self, story: Story, event: RalphProgress) -> None:
        state = event.state
        if state in (RalphState.STARTED, RalphState.ITERATION):
            story.state = "working"
            story.iteration = event.iteration or story.iteration
            story.last = event.detail or story.last
        elif state == RalphState.CHECK:
            outcome = "running" if event.ok is None else "ok" if event.ok else "failed"
            story.last = f"check {event.check or event.detail}: {outcome}"
        elif state in (RalphState.PASSED, RalphState.FAILED, RalphState.BLOCKED):
            story.state = str(state)
            story.last = event.detail or story.last
            if state == RalphState.PASSED:
                self.passed = max(self.passed, event.passed)
        elif state == RalphState.LEARNING:
            story.learnings += event.learnings or ([event.detail] if event.detail else [])

    def _current(self, event: RalphProgress) -> None:
        if event.state == RalphState.CHECK:
            outcome = "…" if event.ok is None else "✓" if event.ok else "✗"
            text = f"{event.story}: check {event.check or event.detail} {outcome}"
        else:
            text = f"{event.story or 'run'}: {event.state}" + (f" — {event.detail[:160]}" if event.detail else "")
        self.current.set_text([("accent", "now: "), ("body", text)])

    def redraw(self) -> None:
        total = self.total or len(self.stories)
        summary = f"Ralph {self.prd}: {self.passed}/{total} stories passed"
        self.title.set_text(("heading", summary + (f" — {self.ended}" if self.ended else "")))
        rows: list[urwid.Widget] = []
        for story in self.stories.values():
            mark = MARKS.get(story.state, "·")
            rounds = f"iter {story.iteration}" if story.iteration else ""
            line = f"{mark} {story.name[:32]:<32} {story.state:<8} {rounds:<8} {story.last[:100]}"
            rows.append(urwid.Text(line, wrap="ellipsis"))
            for learning in story.learnings[-2:]:
                rows.append(urwid.Text(("dim", f"    learned: {learning[:110]}"), wrap="ellipsis"))
        self.walker[:] = rows
        self.dirty = True
