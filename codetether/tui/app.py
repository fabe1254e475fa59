"""The TUI application: wires the views, the keys, the overlays and the conductor onto one event loop.

urwid draws through its asyncio loop on the same loop the agent runs on (uvloop where installed), so
a run never blocks typing. Bus events reach the views through one :class:`~codetether.bus.Follower`;
the views only mark themselves dirty, and :meth:`App.schedule_draw` redraws at most once per frame
(16 ms), so a fast token stream costs one draw per frame, not one per token.
"""

import asyncio
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import urwid

from ..bus import Follower
from ..errors import CodetetherError
from . import slash, theme
from .chat import ChatView
from .commands import Commands
from .conductor import Conductor
from .help import help_view
from .history import replay
from .input import InputBox
from .inspector import Inspector
from .keys import keymap
from .permission import PermissionDialog
from .picker import Picker
from .ralph import RalphView
from .sidebar import Sidebar
from .status import StatusLine
from .swarm import SwarmView
from .terminal import line_feeds, separate_enter_from_ctrl_j

if TYPE_CHECKING:
    from ..runtime import Runtime

FRAME_SECONDS = 0.016
QUIT_WINDOW = 2.0  # a second Ctrl+C within this many seconds quits


class App:
    def __init__(self, runtime: "Runtime", cwd: Path, *, model: str | None, session: str, environ=os.environ) -> None:
        self.runtime = runtime
        self.cwd = cwd
        self.environ = environ
        ui = runtime.config.ui
        self.keys = keymap(ui.keys)
        self.theme = theme.resolve(ui.theme, environ)
        self.conductor = Conductor(
            runtime, cwd, model=model, session=session, ask=self.ask, question=self.question, on_finished=self.finished
        )
        self.chat = ChatView()
        self.status = StatusLine(self.conductor.label(), self.conductor.window())
        self.input = InputBox(self.submit, newline_keys=tuple(k for k, a in self.keys.items() if a == "newline"))
        self.swarm = SwarmView()
        self.ralph = RalphView()
        self.inspector = Inspector()
        self.sidebar = Sidebar()
        self.view = "chat"
        self.layout = "classic"
        self.overlay: urwid.Widget | None = None
        self.frame = urwid.Frame(self.chat, footer=urwid.Pile([self.input, self.status]), focus_part="footer")
        self.root = urwid.AttrMap(self.frame, "body")
        self.loop: urwid.MainLoop | None = None
        self.exit = asyncio.Event()
        self.last_interrupt = -10.0
        self._draw_handle: asyncio.TimerHandle | None = None
        self._last_draw = 0.0
        self.frame_times: list[float] = []
        self.trace = environ.get("CODETETHER_TUI_TRACE")  # bench/tui.py: frame times to this file
        self.follower: Follower | None = None
        self.commands = Commands(self)
        self.queued: list[str] = []  # prompts typed while a run was going
        self.asking: urwid.Widget | None = None  # the dialog a run is waiting on (permission, question)

    # --- wiring ---------------------------------------------------------------------------------------
    def build_loop(self, screen=None) -> urwid.MainLoop:
        loop = asyncio.get_running_loop()
        if screen is None:
            screen = urwid.display.raw.Screen(bracketed_paste_mode=True)
            screen.tty_signal_keys(intr="undefined", quit="undefined", start="undefined", stop="undefined")
        screen.set_terminal_properties(colors=theme.colors(self.environ))
        self.loop = urwid.MainLoop(
            self.root,
            theme.palette(self.theme),
            screen=screen,
            event_loop=urwid.AsyncioEventLoop(loop=loop),
            input_filter=self.filter_input,
            unhandled_input=self.unhandled,
            handle_mouse=True,
        )
        return self.loop

    def load_history(self) -> None:
        try:
            messages, usage = self.conductor.history()
        except CodetetherError as exc:
            self.chat.add_note(f"{exc.message} ({exc.hint})" if exc.hint else exc.message, "error")
            self.conductor.new_session()
            return
        for kind, item in replay(messages):
            if kind == "user":
                self.chat.add_user(str(item))
            else:
                self.chat.handle(item)
        self.chat.flush()
        if usage is not None:
            self.status.resume(usage)
        if self.conductor.session_id:
            self.status.session = self.conductor.session_id
            self.chat.add_note(f"resumed session {self.conductor.session_id}")

    async def run(self) -> str | None:
        """Run until quit; returns the session id (None if no session was started)."""
        self.load_history()
        loop = self.build_loop()
        self.follower = Follower(self.runtime.bus, "#", self.on_bus)
        watcher = asyncio.get_running_loop().create_task(self.watch_config())
        async with self.follower:
            with loop.start():
                separate_enter_from_ctrl_j()
                self.schedule_draw()
                await self.exit.wait()
                if self.conductor.running:
                    self.conductor.interrupt()
                    await self.conductor.wait()
        watcher.cancel()
        return self.conductor.session_id

    def notice(self, text: str) -> None:
        """A runtime notice (the local model in use, an ignored project file): a note in the chat."""
        self.chat.add_note(f"note: {text}")
        self.schedule_draw()

    def quit(self) -> None:
        self.exit.set()

    # --- drawing --------------------------------------------------------------------------------------
    def schedule_draw(self) -> None:
        if self._draw_handle is not None or self.loop is None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_draw + FRAME_SECONDS - loop.time())
        self._draw_handle = loop.call_later(delay, self.draw)

    def draw(self) -> None:
        self._draw_handle = None
        if self.loop is None:
            return
        started = time.perf_counter()
        self.chat.flush()
        self.loop.draw_screen()
        elapsed = time.perf_counter() - started
        self._last_draw = asyncio.get_running_loop().time()
        if self.trace:
            with open(self.trace, "a", encoding="utf-8") as out:
                out.write(f"frame {time.time():.6f} {elapsed * 1000:.3f}\n")

    def on_bus(self, envelope) -> None:
        topic = envelope.topic
        self.inspector.handle(envelope)
        self.sidebar.handle(envelope)
        run = self.conductor.run
        if run is not None and topic == run.topic:
            self.chat.handle(envelope.message)
            self.status.handle(envelope.message)
        elif run is not None and topic.startswith(run.topic + "."):
            self.chat.handle(envelope.message, sub_agent=True)
        elif topic.startswith("swarm."):
            self.swarm.handle(envelope)
        elif topic.startswith("ralph."):
            self.ralph.handle(envelope)
        self.schedule_draw()

    # --- views and layout -----------------------------------------------------------------------------
    def show(self, view: str) -> None:
        self.close_overlay()
        self.view = view
        widget = {
            "chat": self.chat,
            "swarm": self.swarm,
            "ralph": self.ralph,
            "inspector": self.inspector,
            "help": help_view(self.keys),
        }[view]
        self._set_body(widget)
        self.frame.focus_position = "footer" if view == "chat" else "body"
        self.status.set_hint("" if view == "chat" else f"{view} — Esc: back")

    def _set_body(self, widget: urwid.Widget) -> None:
        if self.layout == "webview":
            self.sidebar.redraw()
            widget = urwid.Columns([(30, urwid.LineBox(self.sidebar, title="codetether")), widget], dividechars=1)
        self.frame.body = widget

    def toggle_layout(self, layout: str | None = None) -> None:
        self.layout = layout or ("webview" if self.layout == "classic" else "classic")
        if self.layout == "webview":
            self.sidebar.set_sessions(self.commands.local_sessions(), self.conductor.session_id or "")
        self.show(self.view if self.view != "help" else "chat")

    def open_overlay(self, widget: urwid.Widget, width: int = 80, height: int = 70) -> None:
        """Show ``widget`` over the view: ``width`` percent wide, and as tall as it needs up to ``height`` percent."""
        self.overlay = widget
        wanted = getattr(widget, "lines_wanted", None)  # a short dialog stays short
        self.frame.body = urwid.Overlay(
            widget,
            self.frame.body if not isinstance(self.frame.body, urwid.Overlay) else self.frame.body.bottom_w,
            "center",
            ("relative", width),
            "middle",
            wanted if wanted is not None and wanted <= 16 else ("relative", height),
        )
        self.frame.focus_position = "body"

    def close_overlay(self) -> None:
        if self.overlay is None:
            return
        self.overlay = None
        if isinstance(self.frame.body, urwid.Overlay):
            self.frame.body = self.frame.body.bottom_w
        self.frame.focus_position = "footer" if self.view == "chat" else "body"

    # --- keys -----------------------------------------------------------------------------------------
    def filter_input(self, keys: list, raw: list) -> list:
        """Global keys (they work in every view and over dialogs), in order with the keys typed before them."""
        if self.trace:
            with open(self.trace, "a", encoding="utf-8") as trace:
                trace.write(f"keys {keys!r} {raw!r} view={self.view}\n")
        pending: list = []
        for key in line_feeds(keys, raw):
            action = self.keys.get(key) if isinstance(key, str) else None
            if action is not None:
                if pending and self.loop is not None:  # "/insp" then Tab in one read: the text goes in first
                    self.loop.process_input(self._coalesce(pending))
                    pending = []
                if self.global_key(action, key):
                    continue
            pending.append(key)
        self.schedule_draw()
        return self._coalesce(pending)

    def _coalesce(self, keys: list) -> list:
        if self.overlay is None and self.view == "chat" and self.frame.focus_position == "footer":
            return self.input.filter_keys(keys)
        return keys

    def global_key(self, action: str, key: str) -> bool:
        """Carry out ``action``; False leaves the key to the focused widget."""
        typing = self.overlay is None and self.view == "chat"
        if action == "interrupt":
            self.interrupt()
        elif self.asking is not None and self.overlay is self.asking:
            return False  # the run waits for this answer: every key but Ctrl+C goes to the dialog
        elif action == "help":
            if key == "?" and (not typing or self.input.text):
                return False
            self.show("help")
        elif action == "back":
            if self.overlay is not None:
                self._cancel_overlay()
            elif self.view == "swarm" and self.swarm.back():
                pass
            elif self.view != "chat":
                self.show("chat")
            else:
                return False
        elif action == "next_agent":
            if self.view == "swarm":
                self.swarm.next_agent()
            elif typing and self.input.text.startswith("/"):
                self.complete()
            else:
                return False
        elif action == "model":
            self.commands.open_models()
        elif action == "layout":
            self.toggle_layout()
        elif action == "swarm":
            self.show("swarm")
        elif action == "ralph":
            self.show("ralph")
        elif action == "inspector":
            self.show("inspector")
        elif action == "sessions":
            self.commands.open_sessions()
        elif action in ("scroll_up", "scroll_down"):
            self.chat.scroll(-1 if action == "scroll_up" else 1)
        elif action in ("page_up", "page_down") and typing:
            cols, rows = self.loop.screen.get_cols_rows() if self.loop else (80, 24)
            self.chat.page(key, (cols, max(1, rows - 2)))
        elif action == "toggle_tool":
            self.chat.toggle_tool()
        else:
            return False
        return True

    def unhandled(self, key) -> None:
        return None

    def interrupt(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self.last_interrupt <= QUIT_WINDOW:
            self.quit()
            return
        self.last_interrupt = now
        if self.queued:
            self.chat.add_note(f"dropped {len(self.queued)} queued prompt(s)", "dim")
            self.queued.clear()
        self.conductor.interrupt()
        self.status.set_hint("Ctrl+C again quits")

    def complete(self) -> None:
        text = self.input.text
        if " " in text:
            return
        names = slash.complete(text)
        if len(names) == 1:
            self.input.set_text(names[0] + " ")
        elif names:
            self.input.set_text(slash.common_prefix(names) or text)
            self.status.set_hint("  ".join(names))

    # --- prompts and commands ---------------------------------------------------------------------------
    def submit(self, text: str) -> None:
        self.status.set_hint("")
        if text.startswith("/"):
            self.commands.run(text)
            return
        if self.conductor.running:  # steering: the next prompt waits for this run, and is shown as waiting
            self.queued.append(text)
            self.chat.add_note(f"queued (sent when this run ends; Ctrl+C drops it): {text[:60]}", "dim")
            self.schedule_draw()
            return
        try:
            self.conductor.start(text)
        except CodetetherError as exc:
            self.chat.add_note(f"{exc.message}" + (f" ({exc.hint})" if exc.hint else ""), "error")
            return
        self.chat.add_user(text)
        self.status.model = self.conductor.label()
        self.status.set_state("thinking")
        self.schedule_draw()

    def finished(self, finished, error: str | None) -> None:
        if error is not None:
            self.chat.add_note(f"error: {error}", "error")
        interrupted = error is None and (finished is None or finished.status == "interrupted")
        self.status.set_state("interrupted" if interrupted else "idle")
        if interrupted:
            self.chat.add_note("interrupted — the session is kept; type to continue it", "dim")
        if self.layout == "webview":  # reading every session file is only worth it when the sidebar shows them
            self.sidebar.set_sessions(self.commands.local_sessions(), self.conductor.session_id or "")
        if self.queued and not interrupted and not self.exit.is_set():
            self.submit(self.queued.pop(0))
        self.schedule_draw()

    def _cancel_overlay(self) -> None:
        overlay = self.overlay
        if isinstance(overlay, Picker) and overlay.on_cancel is not None:
            overlay.on_cancel()
        else:
            self.close_overlay()

    # --- the run asks ---------------------------------------------------------------------------------
    async def ask(self, request) -> str:
        if self.follower is not None:
            self.follower.drain()  # the tool row first, then the question
        detail = request.diff
        if not detail and request.kind != "execute":  # a command is the subject itself; an edit shows its diff
            row = next((r for r in reversed(list(self.chat.tools.values())) if r.name == request.tool), None)
            detail = row.diff or "" if row is not None else ""
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def on_answer(value: str) -> None:
            if not answer.done():
                answer.set_result(value)
            self.close_overlay()
            self.schedule_draw()

        self.asking = PermissionDialog(request.tool, request.subject, request.kind, detail, on_answer)
        self.open_overlay(self.asking)
        self.status.set_hint("permission needed")
        self.schedule_draw()
        try:
            return await answer
        finally:
            if self.overlay is self.asking:
                self.close_overlay()
            self.asking = None
            self.status.set_hint("")

    async def question(self, text: str, options: list[str]) -> str:
        if self.follower is not None:
            self.follower.drain()
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def choose(value: object) -> None:
            if not answer.done():
                answer.set_result(str(value))
            self.close_overlay()
            self.schedule_draw()

        picker = Picker(
            f"Question: {text}",
            [(o, o) for o in options],
            choose,
            on_cancel=lambda: choose(""),
            filterable=False,
            free_text=True,
            empty="(type an answer)",
        )
        self.asking = picker
        self.open_overlay(picker)
        self.schedule_draw()
        try:
            return await answer
        finally:
            if self.overlay is picker:
                self.close_overlay()
            self.asking = None

    # --- config hot reload ----------------------------------------------------------------------------
    async def watch_config(self) -> None:
        from ..paths import user_config_file

        path = user_config_file()
        seen = _mtime(path)
        while True:
            await asyncio.sleep(0.5)
            now = _mtime(path)
            if now != seen:
                seen = now
                self.reload_config()

    def reload_config(self) -> None:
        from ..config import load_config

        try:
            ui = load_config(self.cwd).config.ui
            keys = keymap(ui.keys)
        except CodetetherError as exc:
            self.chat.add_note(f"config not reloaded: {exc.message}", "error")
            self.schedule_draw()
            return
        self.keys = keys
        self.input.newline_keys = tuple(k for k, a in keys.items() if a == "newline")
        name = theme.resolve(ui.theme, self.environ)
        if name != self.theme and self.loop is not None:
            self.theme = name
            self.loop.screen.register_palette(theme.palette(name))
            self.loop.screen.clear()
        self.schedule_draw()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
