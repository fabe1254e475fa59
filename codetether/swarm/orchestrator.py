"""The swarm orchestrator: plan, stage, run sub-agents concurrently, merge, report.

Sub-agents are built by the runtime from an AgentSpec, like `codetether run`, each with its own
session, step limit, timeout and (in a git repository) its own worktree. Every state change is
published on the bus under ``swarm.{id}``, and each sub-agent's run events under
``swarm.{id}.{subtask}``: the terminal view and any other observer follow ``swarm.{id}.#``.
"""

import asyncio
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from ..agent.prompt import git_summary
from ..bus import BusHandle, ephemeral_card, segment
from ..events import Finished, RunStatus, SubtaskState, SwarmEvent, SwarmKind
from ..paths import data_dir
from ..providers.types import Message, Request
from ..runtime import AgentRun, AgentSpec, Runtime
from ..security.permissions import AccessMode
from ..tools.registry import BUILTIN_TOOLS
from .cache import CachedResult, ResultCache
from .plan import Plan, PlanError, Subtask, parse_plan, stages, validate
from .worktree import Worktrees, is_git_repo

if TYPE_CHECKING:
    from ..k8s.pods import SubagentPods

# Sub-agents may not start sub-agents of their own or wait on a person; they may share results.
SUBAGENT_TOOLS = [t for t in BUILTIN_TOOLS if t not in ("task", "question")] + ["swarm_share"]


def _prompt(name: str) -> str:
    from importlib import resources

    return resources.files("codetether.swarm").joinpath("prompts", name).read_text("utf-8")


class SwarmOptions(msgspec.Struct, kw_only=True):
    task: str
    strategy: str = "auto"
    max_subagents: int = 4
    max_steps: int = 30
    timeout: float = 600.0
    access_mode: str = "approve"
    execution_mode: str = "local"  # local: sub-agents in this process; k8s: each in its own Pod


class SubtaskResult(msgspec.Struct, kw_only=True):
    name: str
    status: str  # done | failed | timeout | skipped
    result: str = ""
    error: str = ""
    steps: int = 0
    seconds: float = 0.0
    cached: bool = False
    conflicts: list[str] = []


class SwarmReport(msgspec.Struct, kw_only=True):
    swarm_id: str
    task: str
    status: str  # done | partial | failed
    stages: list[list[str]]
    subtasks: list[SubtaskResult]
    wall_seconds: float
    agent_seconds: float
    speedup: float
    applied: bool = True
    branch: str = ""
    conflicts: list[str] = []
    rate_limit_slowdowns: int = 0


class Swarm:
    """One swarm run: ``await Swarm(runtime, options, cwd=...).run()`` returns its report."""

    def __init__(
        self,
        runtime: Runtime,
        options: SwarmOptions,
        *,
        cwd: Path,
        model: str | None = None,
        cache: ResultCache | None = None,
        sessions_dir: Path | None = None,
        pods: "SubagentPods | None" = None,
    ) -> None:
        """``pods`` runs each sub-agent as a Pod (``execution_mode`` k8s) instead of in this process."""
        self.runtime = runtime
        self.pods = pods
        self.options = options
        self.cwd = cwd.resolve()
        # One adaptive limiter for the planner and every sub-agent: they share the provider's quota.
        self.limiter = runtime.rate_limit(model)
        resolved = runtime.model(model)
        self.provider = resolved.provider
        self.model = resolved.model
        self.label = resolved.label
        self.bus = runtime.bus
        self.cache = cache or ResultCache()
        self.sessions_dir = sessions_dir
        self.id = secrets.token_hex(4)
        self.topic = f"swarm.{self.id}"
        self.handle = BusHandle(self.bus, f"swarm-{self.id}")
        self.results: dict[str, SubtaskResult] = {}
        self._git: str | None = None

    def publish(
        self,
        kind: SwarmKind,
        subtask: str = "",
        state: SubtaskState = SubtaskState.NONE,
        steps: int = 0,
        detail: str = "",
    ) -> None:
        event = SwarmEvent(swarm_id=self.id, kind=kind, subtask=subtask, state=state, steps=steps, detail=detail)
        self.handle.publish(self.topic, event)

    # --- planning -------------------------------------------------------------------------------------
    async def plan(self) -> Plan:
        if self.options.strategy == "none":
            return Plan(subtasks=[Subtask(name="task", instruction=self.options.task)])
        agents = self.runtime.agent_catalog(self.cwd)
        prompt = (
            _prompt("plan.md")
            .replace("{max_subagents}", str(self.options.max_subagents))
            .replace("{strategy}", self.options.strategy)
            .replace("{agents}", "\n".join(f"  {line}" for line in agents.summary().splitlines()))
            .replace("{task}", self.options.task)
        )
        messages = [Message.system("You plan work for parallel coding agents."), Message.user(prompt)]
        for attempt in (1, 2):
            response = await self.provider.complete(Request(model=self.model, messages=messages, max_tokens=4096))
            try:
                plan = parse_plan(response.text)
                validate(plan, self.options.max_subagents, agents.agents)
                return plan
            except PlanError as exc:
                self.publish(SwarmKind.PLAN_REJECTED, detail=exc.message)
                if attempt == 2:
                    raise PlanError(
                        f"the model could not produce a valid plan: {exc.message}",
                        "rephrase the task, use --strategy none, or try another model",
                    ) from exc
                messages += [
                    Message.assistant(response.text),
                    Message.user(f"That plan is invalid: {exc.message}. Reply with a corrected JSON plan only."),
                ]
        raise AssertionError("unreachable")

    # --- running --------------------------------------------------------------------------------------
    async def run(self) -> SwarmReport:
        started = time.monotonic()
        self.publish(SwarmKind.STARTED, detail=self.options.task)
        plan = await self.plan()
        staged = stages(plan)
        self.publish(SwarmKind.PLANNED, detail=" | ".join(",".join(s.name for s in stage) for stage in staged))
        worktrees = None
        if self.pods is None and await is_git_repo(self.cwd):  # a pod's edits stay in the pod: nothing to merge
            worktrees = Worktrees(self.cwd, self.id, data_dir() / "worktrees" / self.id)
            await worktrees.start()
        semaphore = asyncio.Semaphore(self.options.max_subagents)
        applied, conflicts, completed = worktrees is None, [], False
        try:
            for number, stage in enumerate(staged, start=1):
                self.publish(SwarmKind.STAGE, state=SubtaskState.STARTED, detail=f"{number}/{len(staged)}")
                # The cache keys on the content the stage starts from, so an identical rerun hits it.
                tree = await worktrees.tree() if worktrees else ""
                await asyncio.gather(*(self._run_guarded(s, semaphore, worktrees, tree) for s in stage))
                if worktrees:
                    for subtask in stage:
                        result = self.results[subtask.name]
                        if result.status == "done":
                            result.conflicts = await worktrees.merge(subtask.name)
                            if result.conflicts:
                                result.status = "failed"
                                result.error = (
                                    f"merge conflict in {', '.join(result.conflicts)}; the work is kept on branch "
                                    f"{worktrees.branch}-{subtask.name}"
                                )
                                self.publish(SwarmKind.MERGE_CONFLICT, subtask.name, detail=result.error)
                            else:
                                self.publish(SwarmKind.MERGED, subtask.name)
            if worktrees:
                applied, conflicts = await worktrees.finish()
                if not applied:
                    self.publish(SwarmKind.APPLY_CONFLICT, detail=", ".join(conflicts))
            completed = True
        finally:
            if worktrees:
                # Interrupted or failed part-way: keep every branch, so no merged or finished work is lost.
                unmerged = frozenset(n for n, r in self.results.items() if r.conflicts or not completed)
                await worktrees.cleanup(keep_branch=not (completed and applied), keep_subtasks=unmerged)
        wall = time.monotonic() - started
        agent_time = sum(r.seconds for r in self.results.values())
        statuses = {r.status for r in self.results.values()}
        status = "done" if statuses == {"done"} else "failed" if "done" not in statuses else "partial"
        report = SwarmReport(
            swarm_id=self.id,
            task=self.options.task,
            status=status if applied else "partial",
            stages=[[s.name for s in stage] for stage in staged],
            subtasks=[self.results[s.name] for stage in staged for s in stage],
            wall_seconds=wall,
            agent_seconds=agent_time,
            speedup=agent_time / wall if wall else 0.0,
            applied=applied,
            branch=worktrees.branch if worktrees and not applied else "",
            conflicts=conflicts,
            rate_limit_slowdowns=self.limiter.slowdowns,
        )
        self.publish(SwarmKind.FINISHED, state=SubtaskState(report.status), detail=f"{wall:.1f}s")
        return report

    async def _run_guarded(
        self, subtask: Subtask, semaphore: asyncio.Semaphore, worktrees: Worktrees | None, base: str
    ) -> None:
        failed_deps = [d for d in subtask.depends_on if self.results.get(d) and self.results[d].status != "done"]
        if failed_deps:
            self.results[subtask.name] = SubtaskResult(
                name=subtask.name, status="skipped", error=f"depends on failed subtask {', '.join(failed_deps)}"
            )
            self.publish(
                SwarmKind.SUBTASK, subtask.name, state=SubtaskState.SKIPPED, detail=self.results[subtask.name].error
            )
            return
        async with semaphore:
            try:
                self.results[subtask.name] = await self._run_subtask(subtask, worktrees, base)
            except Exception as exc:  # e.g. git refused a worktree: this subtask fails, the swarm goes on
                error = f"{type(exc).__name__}: {exc}"
                self.results[subtask.name] = SubtaskResult(name=subtask.name, status="failed", error=error)
                self.publish(SwarmKind.SUBTASK, subtask.name, state=SubtaskState.FAILED, detail=error)

    async def _run_subtask(self, subtask: Subtask, worktrees: Worktrees | None, base: str) -> SubtaskResult:
        started = time.monotonic()
        dependencies = {d: self.results[d].result for d in subtask.depends_on}
        if self.pods is not None:
            from .pod_runner import run_in_pod

            return await run_in_pod(self, subtask, self._subagent_prompt(subtask, dependencies))
        key = ResultCache.key(self.model, subtask, dependencies, base)
        workdir = await worktrees.create(subtask.name) if worktrees else self.cwd
        # Outside git nothing identifies the files a subtask starts from, so nothing is cached there.
        cached = self.cache.get(key) if worktrees else None
        if cached is not None:
            if worktrees and cached.patch:
                await worktrees.apply(subtask.name, cached.patch, f"swarm {self.id}: {subtask.name} (cached)")
            self.publish(
                SwarmKind.SUBTASK, subtask.name, state=SubtaskState.DONE, steps=cached.steps, detail="cached result"
            )
            return SubtaskResult(
                name=subtask.name,
                status="done",
                result=cached.result,
                steps=cached.steps,
                cached=True,
                seconds=time.monotonic() - started,
            )
        self.publish(SwarmKind.SUBTASK, subtask.name, state=SubtaskState.RUNNING)
        run = self._agent(subtask, workdir)
        handle = run.context.services.bus
        assert handle is not None  # the spec names a bus agent
        handle.ready(
            msgspec.to_builtins(
                ephemeral_card(f"{self.id}-{subtask.name}", subtask.instruction[:80], [subtask.specialty])
            )
        )
        try:
            finished = await asyncio.wait_for(
                run.run(Message.user(self._subagent_prompt(subtask, dependencies))), self.options.timeout
            )
        except TimeoutError:
            finished = Finished(status=RunStatus.TIMEOUT, text="", steps=run.steps, usage=run.agent.run_usage)
        except Exception as exc:  # a provider failure ends this subtask, not the swarm
            finished = Finished(
                status=RunStatus.ERROR, text="", steps=run.steps, usage=run.agent.run_usage, error=str(exc)
            )
        finally:
            handle.shutdown()
        seconds = time.monotonic() - started
        if finished.status == RunStatus.INTERRUPTED:  # wait_for cancelled the run at its deadline
            finished = Finished(
                status=RunStatus.TIMEOUT, text=finished.text, steps=finished.steps, usage=finished.usage
            )
        if finished.status != "submitted":
            reason = {
                "timeout": f"timed out after {self.options.timeout:g}s",
                "max_steps": f"used all {self.options.max_steps} steps without finishing",
            }.get(finished.status, finished.error or finished.status)
            self.publish(
                SwarmKind.SUBTASK, subtask.name, state=SubtaskState.FAILED, steps=finished.steps, detail=reason
            )
            status = "timeout" if finished.status == "timeout" else "failed"
            return SubtaskResult(
                name=subtask.name,
                status=status,
                error=reason,
                steps=finished.steps,
                seconds=seconds,
                result=finished.text,
            )
        if worktrees:
            patch = await worktrees.commit(subtask.name, f"swarm {self.id}: {subtask.name}")
            self.cache.put(key, CachedResult(result=finished.text, patch=patch, steps=finished.steps))
        self.publish(
            SwarmKind.SUBTASK, subtask.name, state=SubtaskState.DONE, steps=finished.steps, detail=finished.text[:120]
        )
        return SubtaskResult(
            name=subtask.name, status="done", result=finished.text, steps=finished.steps, seconds=seconds
        )

    def _subagent_prompt(self, subtask: Subtask, dependencies: dict[str, str]) -> str:
        deps = "".join(f"Result of '{name}':\n{text}\n\n" for name, text in dependencies.items())
        return (
            _prompt("subagent.md")
            .replace("{name}", subtask.name)
            .replace("{specialty}", subtask.specialty)
            .replace("{task}", self.options.task)
            .replace("{instruction}", subtask.instruction)
            .replace("{dependencies}", deps)
        )

    def _agent(self, subtask: Subtask, workdir: Path) -> AgentRun:
        if self._git is None:
            self._git = git_summary(workdir)  # every worktree starts from the same commit: ask git once
        spec = AgentSpec(
            workspace=str(workdir),
            model=self.label,
            tools=SUBAGENT_TOOLS,
            access_mode=AccessMode(self.options.access_mode),
            max_steps=self.options.max_steps,
            title=f"swarm {self.id}: {subtask.name}",
            actor=f"swarm:{self.id}/{subtask.name}",
            topic=f"{self.topic}.{segment(subtask.name)}",
            bus_agent=f"{self.id}-{subtask.name}",
            sub_agents=False,
            git_status=self._git,
            sessions_dir=str(self.sessions_dir) if self.sessions_dir else None,
        )
        if subtask.agent:  # its own model, tools and prompt; agents are those of the repository, not the worktree
            spec = self.runtime.spec_for_agent(subtask.agent, spec, project=self.cwd)
            tools = spec.tools if isinstance(spec.tools, list) else SUBAGENT_TOOLS
            spec = msgspec.structs.replace(spec, tools=[t for t in SUBAGENT_TOOLS if t in tools or t == "swarm_share"])
        return self.runtime.agent(spec)
