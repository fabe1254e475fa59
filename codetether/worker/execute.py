"""Running one claimed task on the worker: the agent (or a swarm) built by the runtime, under the
worker's auto-approve policy, with its progress reported as it happens.

Auto-approve: ``all`` allows every action; ``safe`` allows reads and edits inside the workspace and
nothing else; ``none`` allows reads only. An action the policy does not allow is not silently
refused: the run stops and the task ends ``input-required`` with the request (tool and subject), so
whoever sent the task can approve it by answering, or run it elsewhere. A ralph task runs the PRD's
commands itself (quality checks, shell steps): unless the policy allows each of them outright it fails
before anything runs, since under ``safe`` a PRD written by an earlier task would be any command at all.
"""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import msgspec

from .types import ReleaseOutcome, WorkItem

if TYPE_CHECKING:
    from ..config import LoadedConfig
    from ..runtime import Runtime
    from ..security.permissions import PermissionPolicy, PermissionRequest

AutoApprove = Literal["all", "safe", "none"]


class Outcome(msgspec.Struct, kw_only=True):
    outcome: ReleaseOutcome
    message: str = ""
    result: str = ""


class Reporter(Protocol):
    async def output(self, text: str) -> None:
        """A chunk of the answer as it streams."""

    async def status(self, text: str) -> None:
        """A progress line (a tool call started, a swarm stage)."""

    def sub_agent(self, session_id: str, running: bool) -> None:
        """A sub-agent of the task's run started or ended (for heartbeats)."""


class TaskExecutor(Protocol):
    """Runs one claimed task in ``workspace``; ``modes`` are the task modes it can run."""

    modes: tuple[str, ...]

    async def run(self, item: WorkItem, workspace: Path, report: Reporter) -> Outcome: ...

    async def aclose(self) -> None: ...


class InstantExecutor:
    """Completes every task at once with its prompt as the answer: for benchmarks of the queue itself."""

    modes = ("agent", "swarm", "ralph")

    async def run(self, item: WorkItem, workspace: Path, report: Reporter) -> Outcome:
        return Outcome(outcome="completed", message="done", result=item.prompt)

    async def aclose(self) -> None:
        return None


def policy_for(auto_approve: AutoApprove, rules: dict) -> "PermissionPolicy":
    """The permission policy each auto-approve level means (see the module docstring)."""
    from ..security.permissions import AccessMode, PermissionPolicy

    if auto_approve == "all":
        return PermissionPolicy(AccessMode.FULL, rules)
    asked = {"*": "ask"}
    kinds = ["execute", "network", "external_directory"] + (["edit"] if auto_approve == "none" else [])
    # The user's own rules come first; ours are appended, so (last match wins) they decide.
    merged = {kind: {**rules.get(kind, {}), **asked} for kind in kinds}
    mode = AccessMode.APPROVE if auto_approve == "safe" else AccessMode.ASK
    return PermissionPolicy(mode, {**rules, **merged})


@dataclass
class _Denied:
    request: "PermissionRequest"


class AgentTaskExecutor:
    """The real thing: ``runtime.agent(spec)`` (``agent`` mode) or a swarm of them (``swarm`` mode)."""

    modes = ("agent", "swarm", "ralph")

    def __init__(self, loaded: "LoadedConfig", auto_approve: AutoApprove, *, model: str | None = None, bus=None):
        self.loaded = loaded
        self.auto_approve = auto_approve
        self.model = model
        self.bus = bus
        self._runtime: Runtime | None = None

    def runtime(self) -> "Runtime":
        if self._runtime is None:
            from ..runtime import Runtime

            self._runtime = Runtime(self.loaded, bus=self.bus)
        return self._runtime

    async def run(self, item: WorkItem, workspace: Path, report: Reporter) -> Outcome:
        if item.mode == "swarm":
            return await self._swarm(item, workspace, report)
        if item.mode == "ralph":
            return await self._ralph(item, workspace, report)
        return await self._agent(item, workspace, report)

    async def _agent(self, item: WorkItem, workspace: Path, report: Reporter) -> Outcome:
        from ..bus import Envelope, Follower
        from ..events import Finished, SessionStarted, TextDelta, ToolCallStarted
        from ..providers.types import Message
        from ..runtime import AgentSpec
        from ..tools.registry import describe

        runtime = self.runtime()
        denied: list[_Denied] = []
        current = asyncio.current_task()

        async def ask(request: "PermissionRequest") -> str:
            if self.auto_approve == "all":
                return "yes"
            denied.append(_Denied(request))
            if len(denied) == 1 and current is not None:  # stop the run: the task waits for an approval
                asyncio.get_running_loop().call_soon(current.cancel)
            return "no"

        run = runtime.agent(
            AgentSpec(
                workspace=str(workspace),
                model=item.model or self.model,
                actor=f"worker-task:{item.task_id}",
                title=f"worker task {item.task_id}",
            ),
            ask=ask,
            policy=policy_for(self.auto_approve, self.loaded.config.permissions),
        )
        relay = _Relay(report)

        def observe(envelope: Envelope) -> None:
            event = envelope.message
            if envelope.topic != run.topic:  # a `task` sub-agent's run, on {topic}.task.{session}
                if isinstance(event, SessionStarted | Finished):
                    report.sub_agent(envelope.topic.rsplit(".", 1)[-1], isinstance(event, SessionStarted))
            elif isinstance(event, TextDelta) and event.text:
                relay.add("output", event.text)
            elif isinstance(event, ToolCallStarted):
                relay.add("status", f"running {describe(event.name, event.arguments, 80)}")

        relaying = asyncio.create_task(relay.forever())
        finished = None
        try:
            async with Follower(runtime.bus, f"{run.topic}.#", observe):
                try:
                    finished = await run.run(Message.user(item.prompt))
                except asyncio.CancelledError:
                    if not denied:
                        raise
        finally:
            await relay.close(relaying)
        if denied:
            if current is not None:
                current.uncancel()  # our own stop, not the worker's: the task ends input-required
            request = denied[0].request
            return Outcome(
                outcome="input-required",
                message=f"needs approval (auto-approve={self.auto_approve}): {request.tool} wants to "
                f"{request.kind} {request.subject!r}; answer to approve, or run it with a wider policy",
            )
        assert finished is not None
        if finished.status == "interrupted" and current is not None and current.cancelling():
            raise asyncio.CancelledError
        if finished.status == "submitted":
            return Outcome(outcome="completed", message=finished.text or "done", result=finished.text)
        if finished.status in ("max_steps", "max_tokens"):
            return Outcome(outcome="input-required", message=f"the agent stopped ({finished.status}); send more")
        return Outcome(outcome="failed", message=finished.error or f"the agent stopped: {finished.status}")

    async def _swarm(self, item: WorkItem, workspace: Path, report: Reporter) -> Outcome:
        from ..bus import Envelope, Follower
        from ..events import SwarmEvent
        from ..swarm.orchestrator import Swarm, SwarmOptions

        access = {"all": "full", "safe": "approve", "none": "ask"}[self.auto_approve]
        swarm = Swarm(
            self.runtime(),
            SwarmOptions(task=item.prompt, access_mode=access),
            cwd=workspace,
            model=item.model or self.model,
        )
        relay = _Relay(report)

        def observe(envelope: Envelope) -> None:
            event = envelope.message
            if isinstance(event, SwarmEvent) and envelope.topic == swarm.topic:
                relay.add("status", " ".join(filter(None, ["swarm", event.kind.value, event.subtask, event.detail])))

        relaying = asyncio.create_task(relay.forever())
        try:
            async with Follower(self.runtime().bus, swarm.topic, observe):
                report_task = await swarm.run()
        finally:
            await relay.close(relaying)
        summary = "\n\n".join(f"## {r.name} ({r.status})\n{r.result or r.error}" for r in report_task.subtasks)
        if report_task.status == "done":
            return Outcome(outcome="completed", message=f"swarm {report_task.swarm_id} done", result=summary)
        return Outcome(outcome="failed", message=f"swarm {report_task.swarm_id} {report_task.status}", result=summary)

    async def _ralph(self, item: WorkItem, workspace: Path, report: Reporter) -> Outcome:
        """Ralph on the PRD the task names (metadata ``prd``, default ``prd.json`` in the workspace)."""
        from ..bus import Envelope, Follower
        from ..errors import CodetetherError
        from ..events import RalphProgress
        from ..ralph.actions import requests
        from ..ralph.loop import Ralph, RalphOptions

        prd = (workspace / str(item.metadata.get("prd") or "prd.json")).resolve()
        if not prd.is_relative_to(workspace.resolve()):
            return Outcome(outcome="failed", message=f"the PRD {prd} is outside the workspace")
        access = {"all": "full", "safe": "approve", "none": "ask"}[self.auto_approve]
        options = RalphOptions(model=item.model or self.model, access_mode=access)
        relay = _Relay(report)

        def observe(envelope: Envelope) -> None:
            event = envelope.message
            if isinstance(event, RalphProgress):
                relay.add("status", " ".join(filter(None, ["ralph", event.story, event.state.value, event.detail])))

        relaying = asyncio.create_task(relay.forever())
        try:
            ralph = Ralph(self.runtime(), prd, options, cwd=workspace)
            # The PRD's checks are shell commands Ralph runs itself, and a PRD is a file an earlier task's
            # agent may have written: each must pass this worker's policy (ralph.prd is what will run).
            refused = self._refused(requests(ralph.prd), workspace)
            if refused is not None:
                return refused
            async with Follower(self.runtime().bus, f"{ralph.topic}.*", observe):
                result = await ralph.run()
        except CodetetherError as exc:  # a bad PRD, a dirty tree: the task fails with the reason
            return Outcome(outcome="failed", message=str(exc))
        finally:
            await relay.close(relaying)
        summary = "\n".join(f"{story.id} {story.title}: {story.result}" for story in result.stories)
        message = f"ralph {result.status}: {result.passed}/{result.total} stories pass ({result.stop_reason})"
        return Outcome(outcome="completed" if result.status == "passed" else "failed", message=message, result=summary)

    def _refused(self, wanted: "list[PermissionRequest]", workspace: Path) -> Outcome | None:
        """The first of ``wanted`` this worker's policy does not allow outright, as the task's outcome."""
        policy = policy_for(self.auto_approve, self.loaded.config.permissions)
        for request in wanted:
            if policy.decide(request, workspace=workspace, cwd=workspace) != "allow":
                return Outcome(
                    outcome="failed",
                    message=f"not allowed (auto-approve={self.auto_approve}): the PRD's {request.tool} wants to "
                    f"{request.kind} {request.subject!r}; run ralph tasks on a worker with --auto-approve all, "
                    "or allow the command with a [permissions] rule",
                )
        return None

    async def aclose(self) -> None:
        if self._runtime is not None:
            await self._runtime.aclose()


class _Relay:
    """Reports in order, one at a time; a burst of text deltas goes out as one output report."""

    def __init__(self, report: Reporter) -> None:
        self.report = report
        self._items: list[tuple[str, str]] = []
        self._wake = asyncio.Event()
        self._closing = False

    def add(self, kind: str, text: str) -> None:
        if kind == "output" and self._items and self._items[-1][0] == "output":
            self._items[-1] = ("output", self._items[-1][1] + text)
        else:
            self._items.append((kind, text))
        self._wake.set()

    async def flush(self) -> None:
        while self._items:
            kind, text = self._items.pop(0)
            await (self.report.output(text) if kind == "output" else self.report.status(text))

    async def forever(self) -> None:
        while not (self._closing and not self._items):
            await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def close(self, task: "asyncio.Task[None]") -> None:
        """Send what is left, then stop (a report is never cut off half-way)."""
        self._closing = True
        self._wake.set()
        await asyncio.shield(task)
