"""The one path every tool call takes: look up, validate, check permission, run, truncate, report.

Failures become text the model can act on; they never escape as exceptions (except cancellation,
which belongs to the user's Ctrl+C).
"""

import asyncio
import logging
import time
from collections.abc import Callable

import msgspec

from ..hooks import Hooks
from ..providers.types import ToolCall, ToolSpec
from ..security.permissions import PermissionRequest
from .base import ToolDef, ToolError, ToolResult
from .context import ToolContext, current_call_id
from .protected import protected_reason

log = logging.getLogger(__name__)

PLAN_MODE_BLOCKED = frozenset({"edit", "execute"})
MAX_OUTPUT_CHARS = 30_000
MAX_OUTPUT_LINES = 2_000


class ToolOutcome(msgspec.Struct, kw_only=True):
    call_id: str
    name: str
    output: str
    is_error: bool = False
    title: str = ""
    duration_ms: float = 0.0
    metadata: dict = {}


def _take(lines: list[str], max_lines: int, max_chars: int) -> list[str]:
    kept, size = [], 0
    for line in lines[:max_lines]:
        if size + len(line) > max_chars:
            break
        kept.append(line)
        size += len(line)
    return kept


def truncate(text: str, max_chars: int = MAX_OUTPUT_CHARS, max_lines: int = MAX_OUTPUT_LINES) -> str:
    """Keep the head and the tail of long output (errors and exit codes come last) and say what was cut."""
    lines = text.splitlines(keepends=True)
    if len(text) <= max_chars and len(lines) <= max_lines:
        return text
    head = _take(lines, int(max_lines * 0.8), int(max_chars * 0.8))
    if not head:  # one enormous line (minified JSON, a data dump): cut by characters instead
        keep_head, keep_tail = int(max_chars * 0.8), max_chars // 5
        cut = len(text) - keep_head - keep_tail
        return f"{text[:keep_head]}\n[... {cut} characters cut from the middle ...]\n{text[-keep_tail:]}"
    tail = list(reversed(_take(list(reversed(lines[len(head) :])), max_lines // 5, max_chars // 5)))
    cut = lines[len(head) : len(lines) - len(tail)]
    note = (
        f"[... {len(cut)} lines ({sum(map(len, cut))} characters) cut from the middle; "
        "narrow it with offset/limit, grep or a more specific command ...]\n"
    )
    return "".join(head) + ("" if not head or head[-1].endswith("\n") else "\n") + note + "".join(tail)


class ToolRunner:
    """Runs tool calls for one session against one ToolContext."""

    def __init__(self, tools: list[ToolDef], context: ToolContext) -> None:
        self.tools = {t.name: t for t in tools}
        self.context = context
        context.runner = self

    async def run_many(
        self,
        calls: list[ToolCall],
        on_start: Callable[[ToolCall], None] | None = None,
        on_finish: Callable[[ToolCall, ToolOutcome], None] | None = None,
    ) -> list[ToolOutcome]:
        """Outcomes in call order. Consecutive read-only calls run together; any other call runs alone."""
        outcomes: dict[str, ToolOutcome] = {}

        async def one(call: ToolCall) -> None:
            if on_start:
                on_start(call)
            outcomes[call.id] = outcome = await self.run(call)
            if on_finish:
                on_finish(call, outcome)

        group: list[ToolCall] = []
        for call in calls:
            if self.is_read_only(call.name):
                group.append(call)
                continue
            await asyncio.gather(*map(one, group))
            group = []
            await one(call)
        await asyncio.gather(*map(one, group))
        return [outcomes[c.id] for c in calls]

    def specs(self) -> list[ToolSpec]:
        return [t.spec() for t in self.tools.values()]

    def schema_chars(self) -> int:
        """Characters of tool schemas sent with every request (compaction budgets for them)."""
        return sum(t.schema_chars() for t in self.tools.values())

    def is_read_only(self, name: str) -> bool:
        tool = self.tools.get(name)
        return tool is not None and tool.read_only

    async def run(self, call: ToolCall) -> ToolOutcome:
        started = time.perf_counter()
        try:
            result = await self._run(call)
            outcome = ToolOutcome(
                call_id=call.id,
                name=call.name,
                output=truncate(result.output),
                title=result.title,
                metadata=result.metadata,
            )
        except ToolError as exc:
            outcome = ToolOutcome(call_id=call.id, name=call.name, output=f"Error: {exc}", is_error=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a tool must not end the session; the model sees what happened
            log.exception("tool %s failed", call.name)
            outcome = ToolOutcome(
                call_id=call.id,
                name=call.name,
                output=f"Error: the {call.name} tool failed unexpectedly ({type(exc).__name__}: {exc})",
                is_error=True,
            )
        outcome.duration_ms = (time.perf_counter() - started) * 1000
        if self.context.services.audit is not None:
            # A file lock and an fsync: off the event loop, so a slow disk never stalls other agents.
            await asyncio.to_thread(self._audit, call, outcome)
        return outcome

    def _audit(self, call: ToolCall, outcome: ToolOutcome) -> None:
        tool = self.tools.get(call.name)
        resource = ""
        if tool is not None and tool.subject is not None:
            try:
                resource = tool.subject(msgspec.json.decode(call.arguments or "{}", type=tool.params))
            except Exception:
                resource = ""
        if not outcome.is_error:
            result = "ok"
        elif "permission denied" in outcome.output or "declined" in outcome.output:
            result = "denied"
        else:
            result = "error"
        try:
            self.context.services.audit.append(  # type: ignore[union-attr]
                self.context.services.actor,
                f"tool.{call.name}",
                resource[:500],
                result,
                detail=outcome.output[:200] if outcome.is_error else "",
                duration_ms=outcome.duration_ms,
            )
        except OSError as exc:  # the audit trail failing must be loud, but must not lose the tool's result
            log.error("could not write the audit log: %s", exc)

    def _asks_with_diff(self, raw_path: str, request: PermissionRequest) -> bool:
        """A protected path the policy would ask about: the tool itself asks once, showing the diff."""
        workspace = self.context.workspace
        path = workspace.resolve(raw_path)
        return protected_reason(path, workspace.root) is not None and self.context.gate.policy.decide(request) == "ask"

    async def _run(self, call: ToolCall) -> ToolResult:
        tool = self.tools.get(call.name)
        if tool is None:
            available = ", ".join(sorted(self.tools)) or "none"
            raise ToolError(f"invalid tool {call.name!r}", f"available tools: {available}")
        try:
            params = msgspec.json.decode(call.arguments or "{}", type=tool.params)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            schema = msgspec.json.encode(tool.spec().parameters).decode()
            raise ToolError(
                f"invalid arguments for {tool.name}: {exc}", f"expected arguments matching {schema}"
            ) from exc
        hooks = self.context.services.hooks
        arguments: dict = {}
        if hooks is not None:
            params, arguments = await self._pre_tool(hooks, tool, call, params)
        if self.context.state.plan_mode and (tool.kind in PLAN_MODE_BLOCKED or tool.name == "task"):
            raise ToolError(f"{tool.name} is not available in plan mode", "finish the plan, then call plan_exit")
        if tool.subject is not None and tool.kind != "read":
            raw = tool.subject(params)
            for subject in raw if isinstance(raw, list) else [raw]:
                if tool.kind != "edit":
                    await self.context.check(PermissionRequest(tool.name, subject, tool.kind))  # type: ignore[arg-type]
                    continue
                # Rules match workspace-relative paths, however the model spelled them.
                request = PermissionRequest(tool.name, self.context.rule_path(subject), "edit")
                if self._asks_with_diff(subject, request):
                    continue
                await self.context.check(request)
        current_call_id.set(call.id)  # run() is awaited in its own task by run_many, so this stays local
        result = await tool.run(params, self.context)
        result = result if isinstance(result, ToolResult) else ToolResult(output=result)
        if hooks is not None:
            note = await hooks.post_tool(tool.name, arguments, result.output)
            if note:
                result.output = f"{result.output}\n\n[post_tool hook]\n{note}"
        return result

    async def _pre_tool(self, hooks: Hooks, tool: ToolDef, call: ToolCall, params: object) -> tuple[object, dict]:
        """The pre_tool hooks may deny the call, rewrite its arguments, or have the user confirm it.

        They run before the permission checks, which then see the arguments that will really run; an
        "allow" is no objection but does not lift a permission rule (tools check some rules themselves).
        """
        arguments = call.arguments_object()
        verdict = await hooks.pre_tool(tool.name, arguments)
        if verdict.decision == "deny":
            raise ToolError(f"permission denied by a pre_tool hook: {verdict.reason or 'no reason given'}")
        if verdict.arguments is not None:
            try:
                params = msgspec.json.decode(msgspec.json.encode(verdict.arguments), type=tool.params)
            except msgspec.ValidationError as exc:
                raise ToolError(
                    f"a pre_tool hook rewrote the arguments of {tool.name} into invalid ones: {exc}"
                ) from exc
            arguments = verdict.arguments
        if verdict.decision == "ask":
            gate = self.context.gate
            subject = verdict.reason or tool.describe(msgspec.json.encode(arguments).decode())
            if gate.ask is None:
                raise ToolError(f"permission denied: a pre_tool hook asks for confirmation ({subject}) and nobody can")
            kind = tool.kind if tool.kind in ("read", "edit", "execute", "network") else "execute"
            if await gate.ask(PermissionRequest(tool.name, subject, kind)) not in ("yes", "always"):  # type: ignore[arg-type]
                raise ToolError(f"the user declined {tool.name} ({subject})", "do something else or ask why")
        return params, arguments
