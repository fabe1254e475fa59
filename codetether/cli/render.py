"""Showing an agent run: the answer on stdout, tool activity on stderr; or events as JSON for scripts."""

import sys
from typing import Any, TextIO

import click
import msgspec

from .. import events
from ..tools.registry import describe
from . import output

_encoder = msgspec.json.Encoder()


def _one_line(text: str, width: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class TextRenderer:
    """Streams the answer; one status line per tool call (rewritten in place on a terminal)."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.out = out
        self.err = err
        self.tty = bool(getattr(err, "isatty", lambda: False)())
        self.color = output.color_enabled(err)
        self.text_open = False
        self.calls: dict[str, str] = {}

    def _status(self, text: str, fg: str | None = None, *, final: bool = True) -> None:
        if self.text_open:
            self.out.write("\n")
            self.out.flush()
            self.text_open = False
        styled = click.style(text, fg=fg) if self.color and fg else text
        if self.tty and not final:
            self.err.write("\r\x1b[2K" + styled)
        else:
            self.err.write(("\r\x1b[2K" if self.tty else "") + styled + "\n")
        self.err.flush()

    def sub_agent(self, event: Any) -> None:
        """A `task` sub-agent's tool activity, indented under the call that started it."""
        self._tool_line(event, "  ↳ ")

    def _tool_line(self, event: Any, prefix: str = "") -> bool:
        """One status line for a tool call starting or ending; False for any other event."""
        if isinstance(event, events.ToolCallStarted):
            summary = describe(event.name, event.arguments)
            self.calls[event.call_id] = summary
            self._status(f"{prefix}⋯ {summary}", "cyan", final=False)
        elif isinstance(event, events.ToolCallFinished):
            summary = self.calls.pop(event.call_id, event.name)
            if event.is_error:
                self._status(f"{prefix}✗ {summary}: {_one_line(event.output, 100)}", "red")
            else:
                self._status(f"{prefix}✓ {summary} ({event.duration_ms:.0f} ms)", "green")
        else:
            return False
        return True

    def __call__(self, event: Any) -> None:
        if self._tool_line(event):
            return
        if isinstance(event, events.TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self.text_open = not event.text.endswith("\n")
        elif isinstance(event, events.Compacted):
            how = "summarised" if event.summarised else "pruned"
            self._status(f"context {how}: ~{event.tokens_before} → ~{event.tokens_after} tokens", "yellow")
        elif isinstance(event, events.Finished):
            if self.text_open:
                self.out.write("\n")
                self.text_open = False
            self.out.flush()
            usage = event.usage
            cost = f", ${usage.cost_usd:.4f}" if usage.cost_usd else ""
            self._status(
                f"{event.status} after {event.steps} step{'s' if event.steps != 1 else ''}; "
                f"{usage.input_tokens} tokens in, {usage.output_tokens} out{cost}",
                "white",
            )
        elif isinstance(event, events.SessionStarted) and event.resumed:
            self._status(f"continuing session {event.session_id}", "white")


class JsonLinesRenderer:
    """One JSON object per event on stdout, for scripts and CI."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def __call__(self, event: Any) -> None:
        if isinstance(event, events.ToolOutput):
            return  # live command output is for eyes; the tool_result event carries the whole of it
        self.out.write(_encoder.encode(event).decode() + "\n")
        self.out.flush()


class JsonRenderer:
    """Collects the run and prints one JSON document at the end."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.session_id = ""
        self.tools: list[dict[str, Any]] = []

    def __call__(self, event: Any) -> None:
        if isinstance(event, events.SessionStarted):
            self.session_id = event.session_id
        elif isinstance(event, events.ToolCallFinished):
            self.tools.append({"name": event.name, "is_error": event.is_error})
        elif isinstance(event, events.Finished):
            document = {
                "session_id": self.session_id,
                "status": event.status,
                "text": event.text,
                "steps": event.steps,
                "usage": msgspec.to_builtins(event.usage),
                "tool_calls": self.tools,
                "error": event.error,
            }
            self.out.write(msgspec.json.encode(document).decode() + "\n")
            self.out.flush()
