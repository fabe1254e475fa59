"""The Ralph loop: run a PRD's stories, each with a fresh agent in its own git worktree, until all pass.

Ready stories (every dependency passed; lowest priority, then complexity, then file order) start
in parallel up to ``parallel``. A story passes only when every quality check and verification step
passes (``story.py``); then its work is committed (message: story id and title), merged into the
PRD's branch in the user's tree, the PRD is marked (written atomically) and ``progress.txt`` gets a
dated entry with the agent's summary and learnings. A story past its timeout is stopped, its
worktree kept for inspection. A story whose merge conflicts with a parallel story's merged work is
redone once on top of it. The loop stops when every story passes, at ``max_iterations`` story
attempts, or when nothing is ready (the blocked stories and what they wait on are reported).

With ``commit=False`` the stories still meet in git (an internal integration branch), but what
passes is applied to the user's tree as uncommitted changes, to review before committing.
"""

import asyncio
import time
from pathlib import Path

import msgspec

from ..bus import segment
from ..errors import CodetetherError
from ..events import RalphProgress, RalphState
from ..runtime import AgentSpec, Runtime
from ..security.permissions import AccessMode
from ..security.toolenv import pass_env_of, tool_environment
from ..swarm.worktree import Worktrees, git
from . import gitflow, progress
from .checks import Checker
from .prd import Prd, UserStory, mark_passed
from .report import RalphReport, StoryResult
from .state import Landing, RunLock, clear_landing, load_landing, prd_id, save_landing, save_report, worktree_root
from .story import Attempt, attempt_story, stop, story_prompt
from .validate import load

# A story's agent works alone: it may not wait on a person.
STORY_TOOLS_EXCLUDED = ("question",)


class RalphOptions(msgspec.Struct, kw_only=True):
    max_iterations: int = 10  # story attempts in this run (each with its repair rounds)
    model: str | None = None
    parallel: int = 2
    story_timeout: float = 300.0
    max_repairs: int = 2
    commit: bool = True
    access_mode: str = "approve"
    max_steps: int = 50
    progress_file: str = ""  # default: progress.txt beside the PRD


class Ralph:
    """One run on one PRD: ``await Ralph(runtime, Path("prd.json"), options, cwd=...).run()``."""

    def __init__(self, runtime: Runtime, prd_path: Path, options: RalphOptions, *, cwd: Path) -> None:
        self.runtime = runtime
        self.prd_path = prd_path.resolve()
        self.options = options
        self.cwd = cwd.resolve()
        self.prd: Prd = load(self.prd_path)  # a bad PRD fails here, before anything is touched
        self.id = prd_id(self.prd_path, self.prd.feature)
        self.topic = f"ralph.{self.id}"
        self.progress_path = (
            Path(options.progress_file).resolve() if options.progress_file else self.prd_path.parent / "progress.txt"
        )
        self.own_files = [self.prd_path, self.progress_path]
        self.results: dict[str, StoryResult] = {}
        self._land_lock = asyncio.Lock()
        self._started = time.monotonic()
        self.trees: Worktrees | None = None
        self.repo = self.cwd
        self.branch = ""
        self.notices: list[str] = []
        self.attempts = 0
        self._conflicted: dict[str, StoryResult] = {}  # story -> its attempt that hit a merge conflict

    # --- events -----------------------------------------------------------------------------------------
    def publish(self, state: RalphState, story: str = "", **fields) -> None:
        event = RalphProgress(story=story, state=state, prd_id=self.id, **fields)
        self.runtime.bus.publish(f"{self.topic}.{state.value}", event, sender=f"ralph-{self.id}")

    # --- the run ----------------------------------------------------------------------------------------
    async def run(self) -> RalphReport:
        label = self.runtime.model(self.options.model).label  # an unknown provider fails before any git work
        with RunLock(self.id):
            self.repo = await gitflow.toplevel(self.cwd)
            await gitflow.refuse_dirty(self.repo, self.own_files)
            prefix = f"ralph/{self.id}/"
            root = worktree_root(self.id)
            for leftover in await gitflow.clear_leftovers(self.repo, root, prefix):
                self.notices.append(f"removed {leftover}, left by an earlier run that did not finish")
                self.runtime.notice(self.notices[-1])
            self.branch = await gitflow.use_branch(self.repo, self.prd.branch_name)
            await self._finish_interrupted_landing()
            if self.options.commit:
                self.trees = Worktrees(
                    self.repo, self.id, root, branch=self.branch, integration=self.repo, prefix=prefix
                )
            else:
                self.trees = Worktrees(self.repo, self.id, root, branch=f"{prefix}_integration", prefix=prefix)
            await self.trees.start()
            try:
                stop_reason = await self._schedule(label)
            finally:
                if not self.options.commit:  # the integration worktree served its purpose
                    await self._drop_integration()
            report = self._report(stop_reason)
            save_report(report)
            self.publish(RalphState.FINISHED, passed=report.passed, total=report.total, detail=stop_reason)
            return report

    def _ready(self, attempted: set[str]) -> list[UserStory]:
        passed = {s.id for s in self.prd.user_stories if s.passes}
        ready = [
            s
            for s in self.prd.user_stories
            if not s.passes and s.id not in attempted and all(d in passed for d in s.depends_on)
        ]
        order = {s.id: i for i, s in enumerate(self.prd.user_stories)}
        return sorted(ready, key=lambda s: (s.priority, s.complexity, order[s.id]))

    async def _schedule(self, label: str) -> str:
        stories = self.prd.user_stories
        for story in stories:
            if story.passes:
                self.results[story.id] = StoryResult(id=story.id, title=story.title, result="already-passed")
        self.publish(RalphState.RUN, passed=self.prd.passed, total=len(stories), detail=self.branch)
        attempted: set[str] = set()
        running: dict[asyncio.Task[StoryResult], str] = {}
        attempts = 0
        try:
            while True:
                ready = self._ready(attempted)
                while ready and len(running) < self.options.parallel and attempts < self.options.max_iterations:
                    story = ready.pop(0)
                    attempted.add(story.id)
                    attempts += 1
                    running[asyncio.create_task(self._story(story, label))] = story.id
                if not running:
                    break
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    story_id = running.pop(task)
                    result = self._merge_attempts(task.result())
                    self.results[story_id] = result
                    retry = attempts < self.options.max_iterations and story_id not in self._conflicted
                    if result.conflicts and retry:
                        # Parallel stories touched the same lines: redo this one on top of the merged work.
                        self._conflicted[story_id] = result
                        assert self.trees is not None
                        await self.trees.remove(story_id)
                        attempted.discard(story_id)
                    save_report(self._report("running"))
        finally:
            for task in running:  # interrupted: stop what still runs (its worktree stays for the next run)
                await stop(task)
        self.attempts = attempts
        return self._stop_reason(attempted)

    def _merge_attempts(self, result: StoryResult) -> StoryResult:
        """A retried story's row counts both attempts' rounds, tokens and time."""
        first = self._conflicted.get(result.id)
        if first is None or first is result:
            return result
        result.iterations += first.iterations
        result.input_tokens += first.input_tokens
        result.output_tokens += first.output_tokens
        result.seconds += first.seconds
        if first.cost_usd is not None:
            result.cost_usd = (result.cost_usd or 0.0) + first.cost_usd
        return result

    def _stop_reason(self, attempted: set[str]) -> str:
        remaining = [s for s in self.prd.user_stories if not s.passes]
        if not remaining:
            return "every story passes"
        not_run = [s for s in remaining if s.id not in attempted]
        if not_run and self.attempts >= self.options.max_iterations:
            for story in not_run:
                self.results[story.id] = StoryResult(
                    id=story.id, title=story.title, result="not-run", error="the iteration limit was reached"
                )
            return f"the iteration limit ({self.options.max_iterations} story attempts) was reached"
        passed = {s.id for s in self.prd.user_stories if s.passes}
        waits = []
        for story in not_run:
            unmet = [d for d in story.depends_on if d not in passed]
            error = f"waits on {', '.join(unmet)}, which did not pass"
            self.results[story.id] = StoryResult(id=story.id, title=story.title, result="blocked", error=error)
            self.publish(RalphState.BLOCKED, story.id, detail=error)
            waits.append(f"{story.id} waits on {', '.join(unmet)}")
        failed = [s.id for s in remaining if s.id in attempted]
        reason = f"{', '.join(failed)} did not pass" if failed else ""
        if waits:
            reason = f"{reason}; nothing else is ready: {'; '.join(waits)}".lstrip("; ")
        return reason

    # --- one story --------------------------------------------------------------------------------------
    async def _story(self, story: UserStory, label: str) -> StoryResult:
        assert self.trees is not None
        started = time.monotonic()
        self.publish(RalphState.STARTED, story.id, detail=story.title)
        try:
            worktree = await self.trees.create(story.id)
        except CodetetherError as exc:
            return self._failed(story, started, f"could not create its worktree: {exc}")
        attempt = Attempt(story=story, worktree=worktree)
        try:
            run = self.runtime.agent(self._spec(story, worktree, label))
        except CodetetherError as exc:
            return self._failed(story, started, f"could not start its agent: {exc}")
        checker = Checker(tool_environment(self.runtime.environ, pass_env_of(self.runtime.config)))
        prompt = story_prompt(
            self.prd, story, progress.memory(self.progress_path), [self.prd_path.name, self.progress_path.name]
        )
        if story.id in self._conflicted:
            files = ", ".join(self._conflicted[story.id].conflicts)
            prompt += (
                f"\n\nNote: an earlier attempt at this story could not be merged: it conflicted in {files} with "
                "another story's work merged meanwhile. Start again from the current code, which includes that work."
            )
        task = asyncio.create_task(
            attempt_story(
                attempt, run, prompt, checker, self.prd, max_repairs=self.options.max_repairs, publish=self.publish
            )
        )
        try:
            done, _ = await asyncio.wait({task}, timeout=self.options.story_timeout)
        except asyncio.CancelledError:
            await stop(task)
            raise
        if not done:
            await stop(task)
            attempt.result = "timeout"
            attempt.error = f"timed out after {self.options.story_timeout:g}s; its worktree is kept at {worktree}"
        elif task.exception() is not None:
            exc = task.exception()
            attempt.result = "failed"
            attempt.error = str(exc) if isinstance(exc, CodetetherError) else f"{type(exc).__name__}: {exc}"
        attempt.usage = run.agent.run_usage
        result = StoryResult(
            id=story.id,
            title=story.title,
            result=attempt.result,
            iterations=attempt.iterations,
            checks=attempt.checks,
            input_tokens=attempt.usage.input_tokens,
            output_tokens=attempt.usage.output_tokens,
            cost_usd=attempt.usage.cost_usd,
            error=attempt.error,
            summary=attempt.report.summary,
            learnings=attempt.report.learnings,
        )
        if result.result == "passed":
            async with self._land_lock:  # one merge, PRD write and progress entry at a time
                try:
                    await self._land(story, result, worktree)
                except CodetetherError as exc:  # git refused (a hook, a full disk): this story fails, the run goes on
                    result.result, result.error = "failed", f"could not commit or merge its work: {exc}"
        if result.result != "passed":
            result.worktree = str(worktree)
            self.publish(RalphState.FAILED, story.id, iteration=result.iterations, detail=result.error[:300])
        result.seconds = time.monotonic() - started
        return result

    def _failed(self, story: UserStory, started: float, error: str) -> StoryResult:
        self.publish(RalphState.FAILED, story.id, detail=error)
        return StoryResult(
            id=story.id, title=story.title, result="failed", error=error, seconds=time.monotonic() - started
        )

    def _spec(self, story: UserStory, worktree: Path, label: str) -> AgentSpec:
        from ..tools.registry import BUILTIN_TOOLS

        return AgentSpec(
            workspace=str(worktree),
            model=label,
            tools=[t for t in BUILTIN_TOOLS if t not in STORY_TOOLS_EXCLUDED],
            access_mode=AccessMode(self.options.access_mode),
            max_steps=self.options.max_steps,
            title=f"ralph {self.prd.feature}: {story.id}",
            actor=f"ralph:{self.id}/{story.id}",
            topic=f"{self.topic}.agent.{segment(story.id)}",
        )

    async def _land(self, story: UserStory, result: StoryResult, worktree: Path) -> None:
        """Commit the story's work, merge it into the PRD's branch, mark it passed, write its progress entry."""
        assert self.trees is not None
        await gitflow.restore_own_files(worktree, self.repo, self.own_files)
        body = f"\n\n{result.summary}" if result.summary else ""
        before = await gitflow.head(self.trees.integration)
        await self.trees.commit(story.id, f"{story.id}: {story.title}{body}")
        result.commit = await gitflow.head(self.repo, self.trees.branch_of(story.id))
        if self.options.commit:
            save_landing(self.id, Landing(story=story.id, commit=result.commit, result=result))
        conflicts = await self.trees.merge(story.id)
        if conflicts:
            clear_landing(self.id)
            result.result = "failed"
            result.conflicts = conflicts
            result.error = (
                f"merge conflict in {', '.join(conflicts)}; the work is kept on branch {self.trees.branch_of(story.id)}"
            )
            return
        if not self.options.commit:
            error = await self._apply_to_user_tree(before)
            if error:
                result.result = "failed"
                result.error = error
                return
        await self._record_pass(story, result)
        await self.trees.remove(story.id)
        self.publish(RalphState.PASSED, story.id, iteration=result.iterations, detail=result.summary[:300])
        if result.learnings:
            self.publish(RalphState.LEARNING, story.id, learnings=result.learnings)

    async def _record_pass(self, story: UserStory, result: StoryResult) -> None:
        """The bookkeeping of a merged story: PRD flag (atomic), progress entry, their commit."""
        mark_passed(self.prd_path, story.id)
        story.passes = True
        progress.append(self.progress_path, progress.entry(result))
        if self.options.commit:
            await gitflow.commit_files(self.repo, self.own_files, f"ralph: {story.id} passed ({story.title})")
        clear_landing(self.id)

    async def _finish_interrupted_landing(self) -> None:
        """A story merged by a run that was killed before it marked the story passed is passed: say so now."""
        landing = load_landing(self.id)
        if landing is None:
            return
        story = next((s for s in self.prd.user_stories if s.id == landing.story and not s.passes), None)
        merged, _, _ = await git("merge-base", "--is-ancestor", landing.commit, "HEAD", cwd=self.repo, check=False)
        if story is not None and merged == 0:
            await self._record_pass(story, landing.result)
            self.runtime.notice(f"{story.id} was merged by a run that stopped before recording it: marked passed")
        clear_landing(self.id)

    async def _apply_to_user_tree(self, before: str) -> str:
        assert self.trees is not None
        after = await gitflow.head(self.trees.integration)
        _, patch, _ = await git("diff", "--binary", before, after, cwd=self.repo)
        if not patch.strip():
            return ""
        code, _, err = await git("apply", "-", cwd=self.repo, stdin=patch.encode(), check=False)
        if code == 0:
            return ""
        return f"could not apply the story's changes to the working tree: {err.strip()[:300]}"

    async def _drop_integration(self) -> None:
        assert self.trees is not None
        await git("worktree", "remove", "--force", str(self.trees.integration), cwd=self.repo, check=False)
        await git("branch", "-D", self.trees.branch, cwd=self.repo, check=False)

    def _report(self, stop_reason: str) -> RalphReport:
        rows = [
            self.results.get(s.id) or StoryResult(id=s.id, title=s.title, result="pending")
            for s in self.prd.user_stories
        ]
        passed = self.prd.passed
        total = len(self.prd.user_stories)
        costs = [r.cost_usd for r in rows if r.cost_usd is not None]
        return RalphReport(
            prd_id=self.id,
            prd=str(self.prd_path),
            feature=self.prd.feature,
            branch=self.branch,
            status="passed" if passed == total else ("partial" if passed else "failed"),
            stop_reason=stop_reason,
            stories=rows,
            passed=passed,
            total=total,
            attempts=self.attempts,
            wall_seconds=time.monotonic() - self._started,
            input_tokens=sum(r.input_tokens for r in rows),
            output_tokens=sum(r.output_tokens for r in rows),
            cost_usd=sum(costs) if costs else None,
        )
