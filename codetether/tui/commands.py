"""The slash commands and the pickers they open (sessions, models), carried out on the app.

``slash`` names and describes the commands; this module does them. Everything that touches a run
goes through the app's conductor.
"""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CodetetherError
from . import slash
from .picker import Picker

if TYPE_CHECKING:
    from .app import App

VIEWS = ["chat", "swarm", "ralph", "inspector"]


def sessions_picker(
    rows: list[tuple[str, str]], choose: Callable[[object], None], cancel: Callable[[], None]
) -> Picker:
    """The session picker over (id, title) rows."""
    return Picker(
        "Sessions in this directory (type to filter, Enter resumes)",
        [(f"{sid}  {title}", sid) for sid, title in rows],
        choose,
        on_cancel=cancel,
        empty="no saved sessions here",
    )


def models_picker(choose: Callable[[object], None], cancel: Callable[[], None]) -> Picker:
    """The model selector; its rows arrive when the providers' lists do (``set_rows``)."""
    return Picker("Models (type to filter, Enter chooses)", [], choose, on_cancel=cancel, empty="loading models…")


def model_rows(models) -> list[tuple[str, object]]:
    """Picker rows for (provider, model id, is default) triples."""
    return [(f"{p}/{m}" + ("  (default)" if default else ""), f"{p}/{m}") for p, m, default in models]


class Commands:
    def __init__(self, app: "App") -> None:
        self.app = app

    def run(self, line: str) -> None:
        name, arg = slash.parse(line)
        handler: dict[str, Callable[[str], None]] = {
            "/help": lambda _a: self.app.show("help"),
            "/new": lambda _a: self.new_session(),
            "/sessions": lambda _a: self.open_sessions(),
            "/resume": lambda a: self.resume(a) if a else self.open_sessions(),
            "/model": lambda a: self.choose_model(a) if a else self.open_models(),
            "/compact": lambda _a: self.compact(),
            "/undo": lambda _a: self.undo(),
            "/cost": lambda _a: self.cost(),
            "/exit": lambda _a: self.app.quit(),
            "/webview": lambda _a: self.app.toggle_layout("webview"),
            "/classic": lambda _a: self.app.toggle_layout("classic"),
            "/inspector": lambda _a: self.app.show("inspector"),
            "/swarm": lambda a: self.swarm_command(a),
            "/ralph": lambda a: self.ralph_command(a),
            "/refresh": lambda _a: self.refresh(),
            "/view": lambda _a: self.app.show(
                VIEWS[(VIEWS.index(self.app.view) + 1) % len(VIEWS)] if self.app.view in VIEWS else "chat"
            ),
        }
        action = handler.get(name)
        if action is None:
            guess = slash.nearest(name)
            hint = f"; did you mean {guess}?" if guess else "; /help lists them"
            self.app.chat.add_note(f"unknown command {name}{hint}", "error")
        else:
            if self.app.conductor.running and name in ("/new", "/resume", "/compact", "/undo"):
                self.app.chat.add_note(f"{name} waits for the run to end (Ctrl+C interrupts it)", "error")
            else:
                action(arg)
        self.app.schedule_draw()

    def new_session(self) -> None:
        self.app.conductor.new_session()
        self.app.chat.clear()
        self.app.status.reset()
        self.app.chat.add_note("new session")

    def resume(self, session_id: str) -> None:
        """Switch to ``session_id``; an unknown or unreadable one is a note, and the current chat stays."""
        self.app.close_overlay()
        previous = self.app.conductor.session
        self.app.conductor.resume(session_id)
        try:
            self.app.conductor.history()
        except CodetetherError as exc:
            self.app.conductor.resume(previous)
            self.app.chat.add_note(exc.message, "error")
            return
        self.app.chat.clear()
        self.app.status.reset()
        self.app.load_history()
        self.app.show("chat")

    def cost(self) -> None:
        s = self.app.status
        cost = f"${s.cost:.4f}" if s.cost is not None else "not priced for this model"
        self.app.chat.add_note(
            f"this session: {s.input_tokens} tokens in, {s.output_tokens} out; cost {cost}", "accent"
        )

    def compact(self) -> None:
        async def go() -> None:
            try:
                await self.app.conductor.compact()
            except CodetetherError as exc:
                self.app.chat.add_note(exc.message + (f" ({exc.hint})" if exc.hint else ""), "error")
            self.app.schedule_draw()

        self.app.chat.add_note("compacting…")
        asyncio.get_running_loop().create_task(go())

    def undo(self) -> None:
        try:
            paths = self.app.conductor.undo()
        except CodetetherError as exc:
            self.app.chat.add_note(exc.message, "error")
            return
        self.app.chat.add_note("undone: " + (", ".join(paths) if paths else "nothing differed"), "accent")

    def swarm_command(self, task: str) -> None:
        if task:
            self.app.conductor.start_swarm(
                task, lambda text: (self.app.chat.add_note(text, "accent"), self.app.schedule_draw())
            )
        self.app.show("swarm")

    def ralph_command(self, prd: str) -> None:
        if prd:
            note = lambda text: (self.app.chat.add_note(text, "accent"), self.app.schedule_draw())  # noqa: E731
            try:
                self.app.conductor.start_ralph(prd, note)
            except CodetetherError as exc:
                self.app.chat.add_note(exc.message + (f" ({exc.hint})" if exc.hint else ""), "error")
                return
        self.app.show("ralph")

    def refresh(self) -> None:
        self.app.reload_config()
        if self.app.loop is not None:
            self.app.loop.screen.clear()
        self.app.chat.add_note("refreshed")

    # --- pickers --------------------------------------------------------------------------------------
    def local_sessions(self) -> list[tuple[str, str]]:
        from ..agent.session import FileSession, all_sessions

        rows = []
        for path in all_sessions()[:200]:
            try:
                meta = FileSession.load(path).meta
            except CodetetherError:
                continue
            if Path(meta.cwd) == self.app.cwd:
                rows.append((meta.id, meta.title or meta.model))
        return rows

    def open_sessions(self) -> None:
        choose = lambda sid: self.resume(str(sid))  # noqa: E731
        self.app.open_overlay(sessions_picker(self.local_sessions(), choose, self.app.close_overlay))

    def open_models(self) -> None:
        picker = models_picker(lambda m: self.choose_model(str(m)), self.app.close_overlay)
        self.app.open_overlay(picker)

        async def load() -> None:
            from ..providers.models import list_models

            try:
                listing = await list_models(self.app.runtime.config, self.app.runtime.secrets, timeout=5)
            except CodetetherError as exc:
                picker.empty = exc.message
                picker.set_rows([])
            else:
                picker.empty = "no models found"
                picker.set_rows(model_rows((m.provider, m.id, m.default) for m in listing.models))
            self.app.schedule_draw()

        asyncio.get_running_loop().create_task(load())

    def choose_model(self, model: str) -> None:
        self.app.close_overlay()
        try:
            label = self.app.conductor.set_model(model)
        except CodetetherError as exc:
            self.app.chat.add_note(exc.message + (f" ({exc.hint})" if exc.hint else ""), "error")
            return
        self.app.status.model = label
        self.app.status.window = self.app.conductor.window()
        self.app.status.refresh()
        self.app.chat.add_note(f"model: {label}")
