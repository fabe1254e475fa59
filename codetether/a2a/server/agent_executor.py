"""The default executor: each A2A message runs the real agent loop in the server's workspace.

A ``contextId`` is one agent session, so a conversation continues across messages and tasks: the
first message of a context starts a session, later ones resume it (the mapping is kept next to the
sessions, so it survives a restart). A context belongs to the principal that owns its tasks: the same
id sent by another token is another conversation. Tool activity is reported as ``working`` status updates, the
final answer as an artifact and the completing status message.

A plain chat reply comes back as a message only, with no task (spec 1.0 §3.1.1 "a direct response
message (for simple interactions that don't require task tracking)"), when all of these hold: the
message starts a new task (no ``taskId``), the caller used the blocking SendMessage (not streaming,
``returnImmediately`` false or unset), it registered no push webhook, no tool ran and the agent
finished with an answer. Anything else is a task: a streaming caller is owed progress as it happens
(§3.1.2), so its task starts ``working`` at once. The reply still carries the ``contextId``, and the
session is recorded for it, so the conversation goes on. Running out of steps ends the task
``input-required``, as does an answer still cut off at the output limit (send another message in the
context to go on); a provider or tool failure ends it ``failed`` with the reason. Cancelling the task
cancels the agent at its current await, which stops a model stream or a running command.
"""

import asyncio
import json
import os
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from ...config import LoadedConfig
from ...paths import data_dir, ensure_private_dir
from ...security.principal import ADMIN, LOCAL
from ..domain.executor import RequestContext, TaskUpdater

if TYPE_CHECKING:
    from ...bus import AgentBus
    from ...peers.directory import PeerDirectory
    from ...runtime import Runtime


def conversation(context: RequestContext) -> str:
    """The key of ``context``'s session. A contextId names a conversation only among its owner's tasks:
    any client may choose one ("main", "project-x"), so another principal naming the same id must start
    its own session, not resume (and read) the owner's. The admin's contexts keep their bare ids."""
    owner = context.owner
    return context.context_id if owner in ("", ADMIN.id, LOCAL.id) else f"{owner}|{context.context_id}"


class ContextSessions:
    """contextId → session id, in one small JSON file written atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "a2a" / "contexts.json"
        try:
            self._map: dict[str, str] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._map = {}

    def get(self, context_id: str) -> str | None:
        return self._map.get(context_id)

    def set(self, context_id: str, session_id: str) -> None:
        self._map[context_id] = session_id
        ensure_private_dir(self.path.parent)
        with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False) as handle:
            json.dump(self._map, handle)
        os.replace(handle.name, self.path)


class AgentExecutor:
    """Runs an agent, built by the runtime, for each message (see the module docstring)."""

    def __init__(
        self,
        loaded: LoadedConfig,
        workspace: Path,
        *,
        model: str | None = None,
        bus: "AgentBus | None" = None,
        peers: "PeerDirectory | None" = None,
    ) -> None:
        self.loaded = loaded
        self.peers = peers  # `codetether spawn`: the agent gets a2a_peers and a2a_send
        self.workspace = workspace
        self.model = model
        self.bus = bus
        self.sessions = ContextSessions()
        self._runtime: Runtime | None = None
        # One run at a time per context: two would append to the same session file at once. Weak
        # values: a context's lock lives only while some task of it runs or waits.
        self._context_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def runtime(self) -> "Runtime":
        # Built on the first task: the agent, its tools and providers cost ~5 MiB an idle server never needs.
        if self._runtime is None:
            from ...runtime import Runtime

            self._runtime = Runtime(self.loaded, bus=self.bus, peers=self.peers)
        return self._runtime

    async def execute(self, context: RequestContext, updater: TaskUpdater) -> None:
        key = conversation(context)
        lock = self._context_locks.setdefault(key, asyncio.Lock())
        if lock.locked():
            await updater.working("waiting for the previous task in this conversation to finish")
        async with lock:
            await self._run(context, updater)
        if not lock.locked() and not lock._waiters:
            self._context_locks.pop(key, None)

    async def _run(self, context: RequestContext, updater: TaskUpdater) -> None:
        from ...bus import Envelope, Follower
        from ...events import SessionStarted, ToolCallStarted
        from ...providers.types import Message
        from ...runtime import AgentSpec
        from ...tools.registry import describe

        runtime = self.runtime()
        run = runtime.agent(
            AgentSpec(
                workspace=str(self.workspace),
                model=self.model,
                session=self.sessions.get(conversation(context)) or "new",
            )
        )
        progress: asyncio.Queue[str] = asyncio.Queue()
        # A blocking SendMessage may get a plain answer as a message only: report nothing until a tool runs.
        chat = updater.can_reply and not context.streaming
        tools_ran = False

        def observe(envelope: Envelope) -> None:
            nonlocal tools_ran
            event = envelope.message
            if isinstance(event, SessionStarted):
                self.sessions.set(conversation(context), event.session_id)
            elif isinstance(event, ToolCallStarted):
                tools_ran = True
                progress.put_nowait(f"running {describe(event.name, event.arguments, 80)}")

        async def relay() -> None:
            while True:
                await updater.working(await progress.get())

        if not chat:
            await updater.working()
        relaying = asyncio.create_task(relay())
        try:
            async with Follower(runtime.bus, run.topic, observe):
                finished = await run.run(Message.user(context.text))
        finally:
            relaying.cancel()
        current = asyncio.current_task()
        if finished.status == "interrupted" and current is not None and current.cancelling():
            # The agent loop turns cancellation into an orderly "interrupted" ending (the session keeps
            # the partial turn); here the cancel came from CancelTask, so let it end the task canceled.
            raise asyncio.CancelledError
        if chat and not tools_ran and finished.status == "submitted" and finished.text and updater.can_reply:
            await updater.reply(finished.text)
            return
        while not progress.empty():
            await updater.working(progress.get_nowait())
        if finished.text:
            await updater.artifact(finished.text, name="answer")
        if finished.status == "submitted":
            await updater.complete(finished.text or "done")
        elif finished.status == "max_steps":
            await updater.input_required(f"stopped after {finished.steps} steps; send a message to continue")
        elif finished.status == "max_tokens":
            await updater.input_required(
                "the answer was cut off at the model's output limit; send a message to continue"
            )
        else:
            await updater.fail(finished.error or f"the agent stopped: {finished.status}")

    async def aclose(self) -> None:
        """Close the provider's HTTP connections (the server calls this when it stops)."""
        if self._runtime is not None:
            await self._runtime.aclose()
        else:
            from ...providers.http import close_shared_session

            await close_shared_session()
