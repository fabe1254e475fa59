"""The TUI's views filled with fixed events, for snapshots and the benchmark: no clock, no random ids."""

import json
from pathlib import Path

from codetether import events
from codetether.bus import segment
from codetether.bus.messages import Envelope
from codetether.config import load_config
from codetether.providers.types import Usage
from codetether.runtime import Runtime
from codetether.security.permissions import PermissionRequest
from codetether.tui.app import App
from codetether.tui.commands import model_rows, models_picker, sessions_picker
from codetether.tui.permission import PermissionDialog
from codetether.tui.picker import Picker

ANSWER = """I found the problem in **greet.py**: the greeting is built with `+`.

```python
def greet(name):
    # an f-string reads better
    return f"Hello, {name}!"
```

Run it with `python3 main.py`; it prints the greeting.
"""


def configure(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[providers.fake]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')


def new_app(config_file: Path, cwd: Path) -> App:
    configure(config_file)
    runtime = Runtime(load_config(cwd))
    return App(runtime, cwd, model="fake/fake-large", session="new", environ={"TERM": "xterm-256color"})


def envelope(topic: str, message, n: int = 0) -> Envelope:
    return Envelope(id=str(n), topic=topic, sender="test", ts=0.0, message=message)


def run_events(answer: str = ANSWER) -> list:
    change = {"old_string": 'return "hello " + name', "new_string": 'return f"Hello, {name}!"'}
    edit = json.dumps({"file_path": "greet.py", **change})
    return [
        events.SessionStarted(session_id="ses_snapshot", model="fake/fake-large", cwd="/work"),
        events.TextDelta(text="Let me look at the code.\n\n"),
        events.ToolCallStarted(call_id="c1", name="read_file", arguments='{"file_path": "greet.py"}'),
        events.ToolCallFinished(
            call_id="c1", name="read_file", output="1\tdef greet(name):", is_error=False, duration_ms=3
        ),
        events.ToolCallStarted(call_id="c2", name="edit", arguments=edit),
        events.ToolCallFinished(call_id="c2", name="edit", output="edited greet.py", is_error=False, duration_ms=5),
        events.ToolCallStarted(call_id="c3", name="bash", arguments='{"command": "python3 main.py"}'),
        events.ToolCallFinished(
            call_id="c3", name="bash", output="Traceback: NameError\n[exit code 1]", is_error=True, duration_ms=41
        ),
        *[events.TextDelta(text=answer[i : i + 7]) for i in range(0, len(answer), 7)],
        events.UsageUpdate(
            step=Usage(input_tokens=5120, output_tokens=230, cost_usd=0.0123),
            total=Usage(input_tokens=5120, output_tokens=230, cost_usd=0.0123),
        ),
        events.Finished(status=events.RunStatus.SUBMITTED, text="", steps=4, usage=Usage()),
    ]


def chat(app: App) -> None:
    app.chat.add_user("make main.py greet the world")
    for event in run_events():
        app.chat.handle(event)
        app.status.handle(event)
    app.chat.flush()


def chat_expanded(app: App) -> None:
    chat(app)
    app.chat.tools["c3"].toggle()


def permission(app: App) -> None:
    chat(app)
    request = PermissionRequest("bash", "rm -rf build && make", "execute")
    app.open_overlay(PermissionDialog(request.tool, request.subject, request.kind, "", lambda _a: None))


def permission_diff(app: App) -> None:
    chat(app)
    diff = app.chat.tools["c2"].diff or ""
    app.open_overlay(PermissionDialog("edit", "greet.py", "edit", diff, lambda _a: None))


def question(app: App) -> None:
    chat(app)
    options = [("SQLite", "SQLite"), ("PostgreSQL", "PostgreSQL")]
    picker = Picker("Question: Which database?", options, lambda _v: None, filterable=False, free_text=True)
    app.open_overlay(picker)


def help_screen(app: App) -> None:
    app.show("help")


def inspector(app: App) -> None:
    for n, event in enumerate(run_events()[:8]):
        app.inspector.handle(envelope("agent.ses_snapshot", event, n))
    app.inspector.handle(
        envelope(
            "swarm.ab12", events.SwarmEvent(swarm_id="ab12", kind=events.SwarmKind.STARTED, detail="split the work"), 99
        )
    )
    app.show("inspector")


def _swarm(app: App) -> None:
    start = events.SwarmEvent(swarm_id="ab12", kind=events.SwarmKind.STARTED, detail="add tests and docs")
    app.swarm.handle(envelope("swarm.ab12", start))
    for name, state in (
        ("tests", events.SubtaskState.RUNNING),
        ("docs", events.SubtaskState.DONE),
        ("lint", events.SubtaskState.PENDING),
    ):
        sub = events.SwarmEvent(swarm_id="ab12", kind=events.SwarmKind.SUBTASK, subtask=name, state=state)
        app.swarm.handle(envelope("swarm.ab12", sub))
    for event in run_events("Tests written.\n")[1:6]:
        app.swarm.handle(envelope("swarm.ab12.tests", event))
    app.show("swarm")


def swarm(app: App) -> None:
    _swarm(app)


def swarm_transcript(app: App) -> None:
    _swarm(app)
    app.swarm.open(0)


def ralph(app: App) -> None:
    progress = [
        ("", events.RalphState.RUN, {"total": 3, "passed": 0}),
        ("US-001 login form", events.RalphState.STARTED, {"iteration": 1}),
        ("US-001 login form", events.RalphState.CHECK, {"check": "pytest", "ok": True}),
        ("US-001 login form", events.RalphState.PASSED, {"passed": 1, "detail": "merged"}),
        ("US-001 login form", events.RalphState.LEARNING, {"learnings": ["forms live in app/forms.py"]}),
        ("US-002 password reset", events.RalphState.ITERATION, {"iteration": 2, "detail": "repairing"}),
        ("US-002 password reset", events.RalphState.CHECK, {"check": "ruff"}),
        ("US-003 audit trail", events.RalphState.BLOCKED, {"detail": "US-002 has not passed"}),
    ]
    for n, (story, state, extra) in enumerate(progress):
        event = events.RalphProgress(story=story, state=state, prd_id="prd1", **extra)
        app.ralph.handle(envelope(f"ralph.prd1.{state}", event, n))
        if state == events.RalphState.ITERATION:  # the story agent's own events, under ralph.{prd}.agent.{story}
            call = events.ToolCallStarted(call_id="r1", name="edit", arguments='{"file_path": "app/reset.py"}')
            app.ralph.handle(envelope(f"ralph.prd1.agent.{segment(story)}", call, 50))
    app.show("ralph")


SESSIONS = [
    ("ses_01jh5x2k9q", "fix the greeting"),
    ("ses_01jh5w7a1b", "add a CLI flag"),
    ("ses_01jh5v0c3d", "write the docs"),
]


def sessions(app: App) -> None:
    chat(app)
    app.open_overlay(sessions_picker(SESSIONS, lambda _s: None, app.close_overlay))


def models(app: App) -> None:
    chat(app)
    picker = models_picker(lambda _m: None, app.close_overlay)
    picker.set_rows(
        model_rows(
            [
                ("fake", "fake-large", True),
                ("fake", "fake-small", False),
                ("anthropic", "claude-sonnet-4-20250514", False),
                ("openai", "gpt-5", False),
            ]
        )
    )
    app.open_overlay(picker)


def webview(app: App) -> None:
    chat(app)
    app.toggle_layout("webview")
    app.sidebar.set_sessions(SESSIONS, "ses_01jh5x2k9q")


SCENES = {
    "chat": chat,
    "chat-expanded": chat_expanded,
    "permission": permission,
    "permission-diff": permission_diff,
    "question": question,
    "help": help_screen,
    "inspector": inspector,
    "swarm": swarm,
    "swarm-transcript": swarm_transcript,
    "ralph": ralph,
    "sessions": sessions,
    "models": models,
    "webview": webview,
}


def render(app: App, cols: int, rows: int) -> str:
    canvas = app.root.render((cols, rows), focus=True)
    return "\n".join(line.decode("utf-8").rstrip() for line in canvas.text) + "\n"
