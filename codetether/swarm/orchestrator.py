"""The swarm orchestrator: plan, stage, run sub-agents concurrently, merge, report.

Sub-agents run the same agent loop as `codetether run`, each with its own session, step limit,
timeout and (in a git repository) its own worktree. Every state change is published on the bus
under ``swarm.{id}`` — the terminal view and any other observer read it from there.
"""

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any

import msgspec

from ..agent.compaction import Compactor
from ..agent.events import Finished, ToolCallStarted
from ..agent.loop import Agent
from ..agent.prompt import git_summary, system_prompt
from ..agent.session import Session
from ..bus import AgentBus, BusHandle, ephemeral_card
from ..bus.messages import SwarmEvent
from ..paths import data_dir
from ..providers.base import Provider
from ..providers.types import Message, Request
from ..security.audit import AuditLog
from ..security.permissions import AccessMode, PermissionPolicy
from ..tools.context import ToolContext
from ..tools.registry import BUILTIN_TOOLS, builtin_tools
from ..tools.runner import ToolRunner
from .cache import CachedResult, ResultCache
from .plan import Plan, PlanError, Subtask, parse_plan, stages, validate
from .worktree import Worktrees, is_git_repo

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
    def __init__(
        self,
        provider: Provider,
        model: str,
        options: SwarmOptions,
        *,
        cwd: Path,
        bus: AgentBus | None = None,
        cache: ResultCache | None = None,
        config: Any = None,
        context_window: int = 128_000,
        sessions_dir: Path | None = None,
        limiter: Any = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.options = options
        self.cwd = cwd.resolve()
        self.bus = bus or AgentBus()
        self.cache = cache or ResultCache()
        self.config = config
        self.window = context_window
        self.sessions_dir = sessions_dir
        self.limiter = limiter
        self.id = secrets.token_hex(4)
        self.topic = f"swarm.{self.id}"
        self.handle = BusHandle(self.bus, f"swarm-{self.id}")
        self.results: dict[str, SubtaskResult] = {}
        self._git: str | None = None
        self.audit = AuditLog()

    def publish(self, kind: str, subtask: str = "", state: str = "", steps: int = 0, detail: str = "") -> None:
        event = SwarmEvent(swarm_id=self.id, kind=kind, subtask=subtask, state=state, steps=steps, detail=detail)
        self.handle.publish(self.topic, event)

    # --- planning -------------------------------------------------------------------------------------
    async def plan(self) -> Plan:
        if self.options.strategy == "none":
            return Plan(subtasks=[Subtask(name="task", instruction=self.options.task)])
        prompt = (
            _prompt("plan.md")
            .replace("{max_subagents}", str(self.options.max_subagents))
            .replace("{strategy}", self.options.strategy)
            .replace("{task}", self.options.task)
        )
        messages = [Message.system("You plan work for parallel coding agents."), Message.user(prompt)]
        for attempt in (1, 2):
            response = await self.provider.complete(Request(model=self.model, messages=messages, max_tokens=4096))
            try:
                plan = parse_plan(response.text)
                validate(plan, self.options.max_subagents)
                return plan
            except PlanError as exc:
                self.publish("plan_rejected", detail=exc.message)
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
        self.publish("started", detail=self.options.task)
        plan = await self.plan()
        staged = stages(plan)
        self.publish("planned", detail=" | ".join(",".join(s.name for s in stage) for stage in staged))
        worktrees = None
        if await is_git_repo(self.cwd):
            worktrees = Worktrees(self.cwd, self.id, data_dir() / "worktrees" / self.id)
            await worktrees.start()
        semaphore = asyncio.Semaphore(self.options.max_subagents)
        applied, conflicts, completed = worktrees is None, [], False
        try:
            for number, stage in enumerate(staged, start=1):
                self.publish("stage", state="started", detail=f"{number}/{len(staged)}")
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
                                self.publish("merge_conflict", subtask.name, detail=result.error)
                            else:
                                self.publish("merged", subtask.name)
            if worktrees:
                applied, conflicts = await worktrees.finish()
                if not applied:
                    self.publish("apply_conflict", detail=", ".join(conflicts))
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
            rate_limit_slowdowns=getattr(self.limiter, "slowdowns", 0),
        )
        self.publish("finished", state=report.status, detail=f"{wall:.1f}s")
        return report

    async def _run_guarded(
        self, subtask: Subtask, semaphore: asyncio.Semaphore, worktrees: Worktrees | None, base: str
    ) -> None:
        failed_deps = [d for d in subtask.depends_on if self.results.get(d) and self.results[d].status != "done"]
        if failed_deps:
            self.results[subtask.name] = SubtaskResult(
                name=subtask.name, status="skipped", error=f"depends on failed subtask {', '.join(failed_deps)}"
            )
            self.publish("subtask", subtask.name, state="skipped", detail=self.results[subtask.name].error)
            return
        async with semaphore:
            try:
                self.results[subtask.name] = await self._run_subtask(subtask, worktrees, base)
            except Exception as exc:  # e.g. git refused a worktree: this subtask fails, the swarm goes on
                error = f"{type(exc).__name__}: {exc}"
                self.results[subtask.name] = SubtaskResult(name=subtask.name, status="failed", error=error)
                self.publish("subtask", subtask.name, state="failed", detail=error)

    async def _run_subtask(self, subtask: Subtask, worktrees: Worktrees | None, base: str) -> SubtaskResult:
        started = time.monotonic()
        dependencies = {d: self.results[d].result for d in subtask.depends_on}
        key = ResultCache.key(self.model, subtask, dependencies, base)
        workdir = await worktrees.create(subtask.name) if worktrees else self.cwd
        # Outside git nothing identifies the files a subtask starts from, so nothing is cached there.
        cached = self.cache.get(key) if worktrees else None
        if cached is not None:
            if worktrees and cached.patch:
                await worktrees.apply(subtask.name, cached.patch, f"swarm {self.id}: {subtask.name} (cached)")
            self.publish("subtask", subtask.name, state="done", steps=cached.steps, detail="cached result")
            return SubtaskResult(
                name=subtask.name,
                status="done",
                result=cached.result,
                steps=cached.steps,
                cached=True,
                seconds=time.monotonic() - started,
            )
        self.publish("subtask", subtask.name, state="running")
        handle = BusHandle(self.bus, f"{self.id}-{subtask.name}")
        handle.ready(
            msgspec.to_builtins(
                ephemeral_card(f"{self.id}-{subtask.name}", subtask.instruction[:80], [subtask.specialty])
            )
        )
        agent, context = self._agent(subtask, workdir, handle)
        try:
            finished = await asyncio.wait_for(
                agent.run(Message.user(self._subagent_prompt(subtask, dependencies))), self.options.timeout
            )
        except TimeoutError:
            finished = Finished(status="timeout", text="", steps=agent.steps, usage=agent.run_usage)
        except Exception as exc:  # a provider failure ends this subtask, not the swarm
            finished = Finished(status="error", text="", steps=agent.steps, usage=agent.run_usage, error=str(exc))
        finally:
            await context.aclose()
            handle.shutdown()
        seconds = time.monotonic() - started
        if finished.status == "interrupted":  # wait_for cancelled the run at its deadline
            finished = Finished(status="timeout", text=finished.text, steps=finished.steps, usage=finished.usage)
        if finished.status != "submitted":
            reason = {
                "timeout": f"timed out after {self.options.timeout:g}s",
                "max_steps": f"used all {self.options.max_steps} steps without finishing",
            }.get(finished.status, finished.error or finished.status)
            self.publish("subtask", subtask.name, state="failed", steps=finished.steps, detail=reason)
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
        self.publish("subtask", subtask.name, state="done", steps=finished.steps, detail=finished.text[:120])
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

    def _agent(self, subtask: Subtask, workdir: Path, handle: BusHandle) -> tuple[Agent, ToolContext]:
        if self._git is None:
            self._git = git_summary(workdir)  # every worktree starts from the same commit: ask git once
        session = Session.create(
            workdir,
            f"swarm {self.id}: {subtask.name}",
            directory=self.sessions_dir,
            system=system_prompt(workdir, git=self._git),
        )
        rules = getattr(self.config, "permissions", {}) if self.config is not None else {}
        context = ToolContext(
            workspace=workdir,
            permissions=PermissionPolicy(AccessMode(self.options.access_mode), rules),
            settings=self.config,
            bus=handle,
            audit=self.audit,
            actor=f"swarm:{self.id}/{subtask.name}",
        )
        name = subtask.name

        def progress(event: Any) -> None:
            if isinstance(event, ToolCallStarted):
                self.publish("progress", name, state="running", steps=agent.steps, detail=_describe(event))

        agent = Agent(
            self.provider,
            self.model,
            ToolRunner(builtin_tools(SUBAGENT_TOOLS), context),
            session,
            emit=progress,
            max_steps=self.options.max_steps,
            compactor=Compactor(self.provider, self.model, self.window),
        )
        return agent, context


def _describe(event: ToolCallStarted) -> str:
    try:
        args = msgspec.json.decode(event.arguments or "{}")
    except msgspec.DecodeError:
        args = {}
    for key in ("command", "file_path", "pattern", "query", "key"):
        if isinstance(args, dict) and isinstance(args.get(key), str):
            return f"{event.name} {args[key][:60]}"
    return event.name
