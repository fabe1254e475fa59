"""The terminal view, fed bus envelopes as a run publishes them: in-place redraw on a terminal, lines otherwise."""

import io

from codetether.bus.messages import Envelope
from codetether.cli.ralph_view import RalphView
from codetether.events import RalphProgress, RalphState, ToolCallStarted

PID = "calc-abc123"


def envelope(topic: str, message) -> Envelope:
    return Envelope(id="1", topic=topic, sender="ralph", ts=0.0, message=message)


def feed(view: RalphView) -> None:
    events = [
        (RalphState.RUN, "", {"passed": 0, "total": 2, "detail": "feature/x"}),
        (RalphState.STARTED, "US-001", {"detail": "One"}),
        (RalphState.STARTED, "US-002", {"detail": "Two"}),
        (RalphState.ITERATION, "US-001", {"iteration": 1}),
        (RalphState.CHECK, "US-001", {"iteration": 1, "check": "test"}),
        (RalphState.CHECK, "US-001", {"iteration": 1, "check": "test", "ok": False, "detail": "1 failed"}),
        (RalphState.ITERATION, "US-001", {"iteration": 2}),
        (RalphState.PASSED, "US-001", {"iteration": 2, "detail": "did one"}),
        (RalphState.LEARNING, "US-001", {"learnings": ["tests are in tests/"]}),
    ]
    for state, story, fields in events:
        view.handle(envelope(f"ralph.{PID}.{state.value}", RalphProgress(story=story, state=state, **fields)))
    call = ToolCallStarted(call_id="c1", name="write_file", arguments='{"file_path": "two.py", "content": "x"}')
    view.handle(envelope(f"ralph.{PID}.agent.US-002", call))


def test_plain_output_appends_one_line_per_change():
    out = io.StringIO()
    feed(RalphView(tty=False, out=out))
    lines = out.getvalue().splitlines()
    assert lines[0] == "ralph: 0/2 stories already pass; branch feature/x"
    assert "⋯ US-001       checking   iter 1  test failed: 1 failed" in lines
    assert "⋯ US-001       repairing  iter 2  agent at work" in lines
    assert "✓ US-001       passed     iter 2  did one" in lines
    assert "  US-001 learned: tests are in tests/" in lines
    assert lines[-1] == "⋯ US-002       running    iter 0  write_file two.py"


def test_terminal_output_redraws_the_story_lines_in_place():
    out = io.StringIO()
    view = RalphView(tty=True, out=out)
    feed(view)
    assert view.drawn == 2 and "\x1b[2F\x1b[J" in out.getvalue()
    final = out.getvalue().rsplit("\x1b[J", 1)[1].splitlines()
    assert final == ["✓ US-001       passed     iter 2  did one", "⋯ US-002       running    iter 0  write_file two.py"]
