"""Starting, steering and interrupting agent runs for the TUI; the only part of it that builds runs.

Each prompt is one :meth:`Runtime.agent` run on the TUI's session (the first creates or resumes it,
later ones resume it by id), so the TUI gets exactly the agent ``codetether run`` gets. The views
never see a run: they follow its events on the bus. The conductor also owns what acts on the
session between runs: compaction, undo snapshots, swarms started with ``/swarm``.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from ..errors import CodetetherError
from ..events import Compacted, Finished
from ..runtime import AgentRun, AgentSpec, Runtime
from . import undo

log = logging.getLogger(__name__)


class Conductor:
    def __init__(
        self,
        runtime: Runtime,
        cwd: Path,
        *,
        model: str | None,
        session: str,
        ask: Callable[..., Awaitable[str]],
        question: Callable[[str, list[str]], Awaitable[str]],
        on_finished: Callable[[Finished | None, str | None], None],
    ) -> None:
        self.runtime = runtime
        self.cwd = cwd
        self.model = model or runtime.default_model()
        self.session = session  # "new", "latest" or an id; an id once the first run has started
        self.ask = ask
        self.question = question
        self.on_finished = on_finished
        self.task: asyncio.Task[Finished] | None = None
        self.run: AgentRun | None = None
        self.undo_stack: list[undo.Snapshot] = []
        self.jobs: set[asyncio.Task] = set()  # swarms and Ralph runs started here, kept until they end

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def session_id(self) -> str | None:
        return None if self.session in ("new", "latest") else self.session

    def window(self) -> int:
        return self.runtime.context_window(self.label())

    def label(self) -> str:
        try:
            return self.runtime.model(self.model).label
        except CodetetherError:
            return self.model

    def build(self) -> AgentRun:
        """A run on this session (raises CodetetherError for a bad model, a missing session...)."""
        spec = AgentSpec(workspace=str(self.cwd), model=self.model, session=self.session)
        run = self.runtime.agent(spec, ask=self.ask, question=self.question)
        self.session = run.session.id
        return run

    def start(self, text: str) -> AgentRun:
        """Start a run on ``text``; its events go to the bus, its end to ``on_finished``."""
        from ..providers.types import Message

        if self.running:
            raise CodetetherError("a run is already in progress", "wait for it, or press Ctrl+C to interrupt it")
        run = self.run = self.build()
        snap = undo.snapshot(self.cwd)
        self.task = asyncio.get_running_loop().create_task(run.run(Message.user(text)))
        self.task.add_done_callback(lambda task: self._ended(task, snap))
        return run

    def _ended(self, task: asyncio.Task, snap: undo.Snapshot | None) -> None:
        error: str | None = None
        finished: Finished | None = None
        if task.cancelled():  # interrupted before it began: nothing was sent or stored
            pass
        elif task.exception() is not None:
            exc = task.exception()
            error = exc.message if isinstance(exc, CodetetherError) else f"{type(exc).__name__}: {exc}"
        else:
            finished = task.result()
        if snap is not None:
            try:
                if undo.changed_since(self.cwd, snap):
                    self.undo_stack.append(snap)
            except Exception as exc:  # git vanished mid-session: undo is lost, the run is not
                log.warning("could not record the undo point: %s", exc)
        self.on_finished(finished, error)

    def interrupt(self) -> bool:
        """Cancel the running step; the run ends ``interrupted`` and the session keeps what it has."""
        if not self.running:
            return False
        assert self.task is not None
        self.task.cancel()
        return True

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)

    def new_session(self) -> None:
        self.session = "new"
        self.undo_stack.clear()

    def resume(self, session_id: str) -> None:
        self.session = session_id
        self.undo_stack.clear()

    def history(self):
        """The current session's (messages, usage so far); ([], None) for a new one.

        Raises CodetetherError when the session cannot be found or read."""
        from ..agent.session import find_session, latest_session

        if self.session == "new":
            return [], None
        session = latest_session(self.cwd) if self.session == "latest" else find_session(self.session)
        self.session = session.id
        return session.messages, session.usage

    async def compact(self) -> Compacted:
        """Summarise the session now (as the loop does when the context fills), and report it on the bus."""
        from ..agent.compaction import estimate_tokens

        if self.session_id is None:
            raise CodetetherError("nothing to compact yet", "send a prompt first")
        run = self.build()
        before = estimate_tokens(run.session.messages)
        assert run.agent.compactor is not None
        messages, summarised = await run.agent.compactor.compact(run.session.messages, force=True)
        run.session.checkpoint(messages)
        await run.session.flush()
        event = Compacted(tokens_before=before, tokens_after=estimate_tokens(messages), summarised=summarised)
        self.runtime.publish(run.topic, event)
        return event

    def undo(self) -> list[str]:
        if not self.undo_stack:
            raise CodetetherError("no agent change to undo in this session", "undo works on changes made by runs here")
        return undo.undo(self.cwd, self.undo_stack.pop())

    def start_swarm(self, task: str, done: Callable[[str], None]) -> None:
        """Run a swarm on ``task``; its events reach the swarm view on ``swarm.#``."""
        from ..swarm.orchestrator import Swarm, SwarmOptions

        swarm = Swarm(self.runtime, SwarmOptions(task=task), cwd=self.cwd, model=self.model)

        async def go() -> None:
            try:
                report = await swarm.run()
                done(f"swarm {report.swarm_id} {report.status}: {len(report.subtasks)} subtasks")
            except CodetetherError as exc:
                done(f"swarm failed: {exc.message}")

        self._background(go())

    def start_ralph(self, prd: str, done: Callable[[str], None]) -> None:
        """Run Ralph on the PRD file ``prd``; its events reach the Ralph view on ``ralph.#``.

        Raises CodetetherError for a PRD that cannot be loaded (before anything starts)."""
        from ..ralph.loop import Ralph, RalphOptions

        runner = Ralph(self.runtime, self.cwd / prd, RalphOptions(model=self.model), cwd=self.cwd)

        async def go() -> None:
            try:
                report = await runner.run()
                done(f"ralph {runner.id}: {report.stop_reason or 'finished'}")
            except CodetetherError as exc:
                done(f"ralph failed: {exc.message}")

        self._background(go())

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on the loop, holding a reference until it ends (the loop keeps only weak ones)."""
        job = asyncio.get_running_loop().create_task(work)
        self.jobs.add(job)
        job.add_done_callback(self.jobs.discard)

    def set_model(self, model: str) -> str:
        """Switch the model for the next runs; returns its label (raises CodetetherError when unknown)."""
        label = self.runtime.model(model).label
        self.model = label
        return label
