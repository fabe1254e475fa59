"""A swarm sub-agent run as a Kubernetes Pod (``codetether swarm --execution-mode k8s``).

The pod runs ``codetether run --format json`` on the sub-agent's prompt, with the swarm's model,
step limit and access mode; its log's last line, the run's JSON summary, is the result. The pod
works in its own filesystem: its answer comes back, its file edits do not (no worktree merge in
this mode). The pod is deleted when it ends, fails or times out.
"""

import time
from typing import TYPE_CHECKING

import msgspec

from ..events import SubtaskState, SwarmKind
from ..k8s.errors import K8sError
from ..k8s.pods import PodSpec

if TYPE_CHECKING:
    from .orchestrator import SubtaskResult, Swarm
    from .plan import Subtask


class _RunSummary(msgspec.Struct):
    status: str
    text: str = ""
    steps: int = 0
    error: str | None = None


def _summary(log: str) -> _RunSummary | None:
    for line in reversed(log.strip().splitlines()):
        if line.startswith("{"):
            try:
                return msgspec.json.decode(line, type=_RunSummary)
            except (msgspec.DecodeError, msgspec.ValidationError):
                return None
    return None


async def run_in_pod(swarm: "Swarm", subtask: "Subtask", prompt: str) -> "SubtaskResult":
    from .orchestrator import SubtaskResult

    assert swarm.pods is not None
    started = time.monotonic()
    options = swarm.options
    spec = PodSpec(
        subagent_id=f"{swarm.id}-{subtask.name}",
        swarm_id=swarm.id,
        args=[
            "run",
            "--format",
            "json",
            "--model",
            swarm.label,
            "--max-steps",
            str(options.max_steps),
            "--access-mode",
            options.access_mode,
            prompt,
        ],
    )
    swarm.publish(SwarmKind.SUBTASK, subtask.name, state=SubtaskState.RUNNING, detail="pod starting")
    try:
        outcome = await swarm.pods.run(spec, options.timeout)
    except K8sError as exc:
        return _failed(swarm, subtask, "failed", exc.message, started)
    if outcome.phase == "Timeout":
        return _failed(swarm, subtask, "timeout", f"pod {outcome.name} timed out after {options.timeout:g}s", started)
    summary = _summary(outcome.log)
    if summary is None:
        tail = outcome.log.strip().splitlines()[-1:] or [outcome.reason or "no output"]
        error = f"pod {outcome.name} ended {outcome.phase} (exit {outcome.exit_code}) without a run summary: {tail[0]}"
        return _failed(swarm, subtask, "failed", error, started)
    if summary.status != "submitted":
        error = summary.error or f"the sub-agent ended {summary.status}"
        return _failed(swarm, subtask, "failed", error, started, steps=summary.steps, text=summary.text)
    swarm.publish(
        SwarmKind.SUBTASK, subtask.name, state=SubtaskState.DONE, steps=summary.steps, detail=summary.text[:120]
    )
    return SubtaskResult(
        name=subtask.name,
        status="done",
        result=summary.text,
        steps=summary.steps,
        seconds=time.monotonic() - started,
    )


def _failed(
    swarm: "Swarm", subtask: "Subtask", status: str, error: str, started: float, steps: int = 0, text: str = ""
) -> "SubtaskResult":
    from .orchestrator import SubtaskResult

    swarm.publish(SwarmKind.SUBTASK, subtask.name, state=SubtaskState.FAILED, steps=steps, detail=error)
    return SubtaskResult(
        name=subtask.name,
        status=status,
        error=error,
        steps=steps,
        result=text,
        seconds=time.monotonic() - started,
    )
