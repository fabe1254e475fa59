"""The status line: model, tokens, cost, context fill and what the run is doing, from its events."""

import urwid

from .. import events

STATES = {"idle": "idle", "thinking": "thinking", "tool": "running tool", "interrupted": "interrupted"}


class StatusLine(urwid.WidgetWrap):
    def __init__(self, model: str = "", window: int = 0) -> None:
        self.model = model
        self.window = window  # the model's context window in tokens (0: unknown)
        self.session = ""
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost: float | None = None
        self.context = 0  # tokens the last request carried
        self.state = "idle"
        self.hint = ""
        self.layout = "classic"
        self._text = urwid.Text("", wrap="ellipsis")
        self._map = urwid.AttrMap(self._text, "status")
        super().__init__(self._map)
        self.refresh()

    def handle(self, event: object) -> None:
        if isinstance(event, events.SessionStarted):
            self.session = event.session_id
            self.model = event.model
        elif isinstance(event, events.TextDelta | events.ThinkingDelta):
            self.state = "thinking"
        elif isinstance(event, events.ToolCallStarted):
            self.state = "tool"
        elif isinstance(event, events.ToolCallFinished):
            self.state = "thinking"
        elif isinstance(event, events.UsageUpdate):
            self.input_tokens += event.step.input_tokens
            self.output_tokens += event.step.output_tokens
            if event.step.cost_usd is not None:
                self.cost = (self.cost or 0.0) + event.step.cost_usd
            self.context = event.step.input_tokens + event.step.output_tokens
        elif isinstance(event, events.Compacted):
            self.context = event.tokens_after
        elif isinstance(event, events.Finished):
            self.state = "interrupted" if event.status == events.RunStatus.INTERRUPTED else "idle"
        else:
            return
        self.refresh()

    def resume(self, usage) -> None:
        """Start from a resumed session's totals (its ``Usage``), so /cost and the counters cover all of it."""
        self.input_tokens, self.output_tokens, self.cost = usage.input_tokens, usage.output_tokens, usage.cost_usd
        self.refresh()

    def reset(self) -> None:
        """A new session: nothing used yet."""
        self.input_tokens = self.output_tokens = self.context = 0
        self.cost = None
        self.session = ""
        self.refresh()

    def set_state(self, state: str) -> None:
        self.state = state
        self.refresh()

    def set_hint(self, hint: str) -> None:
        self.hint = hint
        self.refresh()

    def refresh(self) -> None:
        fill = f"{100 * self.context / self.window:.0f}%" if self.window else "?"
        cost = f"${self.cost:.4f}" if self.cost is not None else "$-"
        parts = [
            f" {self.model or 'no model'}",
            f"{self.input_tokens}↑ {self.output_tokens}↓ tok",
            cost,
            f"ctx {fill}",
            STATES.get(self.state, self.state),
        ]
        if self.hint:
            parts.append(self.hint)
        self._text.set_text(" │ ".join(parts))
        self._map.set_attr_map({None: "status" if self.state in ("idle", "interrupted") else "status_busy"})
