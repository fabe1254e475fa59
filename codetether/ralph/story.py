"""One attempt at one story: a fresh agent in the story's worktree, the checks, repair rounds.

The agent gets the PRD header, the story, its criteria and checks and ``progress.txt``; then the
quality checks and verification steps run for real. Failures (their output trimmed) go back to the
same agent, which keeps its conversation, for at most ``max_repairs`` rounds. The attempt passes
only when every check passes. :class:`Attempt` holds what is known so far, so a story stopped at
its timeout still reports its rounds, checks and tokens.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..events import RalphState, RunStatus
from ..providers.types import Message, Usage
from ..runtime import AgentRun
from .checks import Checker, CheckResult, run_all
from .prd import FileExistsStep, Prd, ShellStep, UserStory, VerificationStep
from .report import StoryReport, parse_story_report, without_report


def prompt_file(name: str) -> str:
    return resources.files("codetether.ralph").joinpath("prompts", name).read_text("utf-8")


def _step_line(step: VerificationStep) -> str:
    label = f"{step.name}: " if step.name else ""
    if isinstance(step, ShellStep):
        expects = "".join(f", output contains {t!r}" for t in step.expect_output_contains)
        expects += "".join(f", files match {g!r}" for g in step.expect_files_glob)
        where = f" (in {step.cwd})" if step.cwd else ""
        return f"- verify {label}`{step.command}`{where} exits 0{expects}"
    if isinstance(step, FileExistsStep):
        return f"- verify {label}{'a file matching ' if step.glob else ''}{step.path} exists"
    body = "".join(f", body contains {t!r}" for t in step.expect_body_contains)
    return f"- verify {label}{step.method} {step.url} answers {step.expect_status}{body}"


def story_prompt(prd: Prd, story: UserStory, progress: str, own_files: list[str]) -> str:
    requirements = "".join(f"- {r}\n" for r in prd.technical_requirements)
    checks = [f"- {name}: `{command}`" for name, command in prd.quality_checks.items()]
    checks += [_step_line(step) for step in story.verification_steps]
    values = {
        "{project}": prd.project,
        "{feature}": prd.feature,
        "{requirements}": f"Technical requirements:\n{requirements}" if requirements else "",
        "{id}": story.id,
        "{title}": story.title,
        "{description}": story.description or "(no description)",
        "{criteria}": "\n".join(f"- {c}" for c in story.acceptance_criteria) or "- (none listed)",
        "{checks}": "\n".join(checks),
        "{progress}": progress or "(nothing yet: this is the first story)",
        "{own_files}": " or ".join(own_files),
    }
    text = prompt_file("story.md")
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def repair_prompt(story: UserStory, failures: list[CheckResult], iteration: int, limit: int) -> str:
    listing = "\n\n".join(f"### {c.name} ({c.kind})\n{c.output}" for c in failures)
    return (
        prompt_file("repair.md")
        .replace("{id}", story.id)
        .replace("{failures}", listing)
        .replace("{iteration}", str(iteration))
        .replace("{limit}", str(limit))
    )


@dataclass
class Attempt:
    """What one attempt has done so far (read by the loop when it stops the attempt at the timeout)."""

    story: UserStory
    worktree: Path
    started: float = field(default_factory=time.monotonic)
    iterations: int = 0
    checks: list[CheckResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    result: str = "failed"
    error: str = ""
    report: StoryReport = field(default_factory=StoryReport)


Publish = Callable[..., None]


async def attempt_story(
    attempt: Attempt,
    run: AgentRun,
    prompt: str,
    checker: Checker,
    prd: Prd,
    *,
    max_repairs: int,
    publish: Publish,
) -> None:
    """Work on ``attempt.story`` until its checks pass or the repairs run out; fills in ``attempt``."""
    story = attempt.story
    message = prompt
    while True:
        attempt.iterations += 1
        publish(RalphState.ITERATION, story.id, iteration=attempt.iterations)
        finished = await run.run(Message.user(message))
        attempt.usage = finished.usage
        if finished.status != RunStatus.SUBMITTED:
            attempt.error = {
                "max_steps": "the agent used all its steps without finishing",
                "interrupted": "the agent was stopped",
            }.get(finished.status, f"the agent failed: {finished.error or finished.status}")
            return
        text = finished.text

        def on_check(name: str) -> None:
            publish(RalphState.CHECK, story.id, iteration=attempt.iterations, check=name)

        attempt.checks = await run_all(
            checker, prd.quality_checks, story.verification_steps, attempt.worktree, on_check
        )
        for check in attempt.checks:
            publish(
                RalphState.CHECK,
                story.id,
                iteration=attempt.iterations,
                check=check.name,
                ok=check.ok,
                detail=check.output.splitlines()[-1][:200] if check.output and not check.ok else "",
            )
        failures = [c for c in attempt.checks if not c.ok]
        if not failures:
            break
        if attempt.iterations > max_repairs:
            attempt.error = f"checks still failing after {attempt.iterations} iteration(s): " + ", ".join(
                c.name for c in failures
            )
            return
        message = repair_prompt(story, failures, attempt.iterations + 1, max_repairs + 1)
    report = parse_story_report(text)
    if report is None:  # asked for in the prompt; ask once more, plainly, before falling back to the text
        finished = await run.run(Message.user(prompt_file("report.md").replace("{id}", story.id)))
        attempt.usage = finished.usage
        report = parse_story_report(finished.text) if finished.status == RunStatus.SUBMITTED else None
    attempt.report = report or StoryReport(summary=without_report(text)[:2000])
    attempt.result = "passed"


async def stop(task: "asyncio.Task[None]") -> None:
    """Cancel an attempt and wait for it to end (the agent and any check's process group with it)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
