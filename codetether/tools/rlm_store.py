"""What the ``rlm_*`` tools explore: content held outside the model's context, and the run's limits.

An RLM run (``codetether.rlm``) puts its :class:`RlmStore` in :data:`CURRENT` around the agent run;
every ``rlm_*`` tool call of that run (each a task copying the caller's context) finds it there, so
the one agent loop needs no RLM-specific plumbing. The store answers the tools' questions (lines,
matches, counts, chunks) and keeps the budgets that bound what the model may pull into its
context and how far sub-queries may recurse. Nothing here calls a model: a sub-query goes through
the ``ask`` callable the RLM run supplies.
"""

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

import msgspec

from .base import ToolError
from .ripgrep import rg_binary

MAX_LINE_CHARS = 400  # a longer line is cut in tool output (the model can slice for the rest)


class RlmLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Bounds of one RLM run and its sub-queries (``codetether rlm --max-tokens`` sets ``context_tokens``)."""

    context_tokens: int = 12_000  # content the tools may return to the model, in all
    output_chars: int = 12_000  # what one tool call returns at most
    max_depth: int = 2  # RLM levels: a larger slice is explored by a nested RLM run only above the last level
    max_sub_queries: int = 8  # over the whole tree of runs
    sub_query_tokens: int = 6_000  # a slice up to this size is read whole by a tool-less sub-query
    sub_query_total_tokens: int = 24_000  # all slices read whole, together
    max_iterations: int = 12  # model turns of one RLM run


class Evidence(msgspec.Struct, frozen=True, kw_only=True):
    start_line: int
    end_line: int
    text: str = ""  # the lines themselves (filled from the content)


class Final(msgspec.Struct, frozen=True, kw_only=True):
    answer: str
    evidence: list[Evidence] = []


# (question, text of the slice, its first line number, depth of the run asking) -> the sub-query's answer
Ask = Callable[[str, str, int, int], Awaitable[str]]


@dataclass
class SharedBudget:
    """What all runs of one RLM tree spend together: sub-queries, their slices, and provider usage."""

    sub_queries: int = 0
    sub_query_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class RlmStore:
    """The content of one RLM run, split into lines once, and what the run has spent and found."""

    text: str
    content_type: str
    limits: RlmLimits = field(default_factory=RlmLimits)
    depth: int = 0
    ask: Ask | None = None
    budget: SharedBudget = field(default_factory=SharedBudget)
    lines: list[str] = field(init=False)
    shown_tokens: int = 0  # content tokens the tools returned to the model so far
    final: Final | None = None
    _data: bytes | None = field(default=None, init=False, repr=False)  # the lines as ripgrep reads them

    def __post_init__(self) -> None:
        self.lines = self.text.split("\n")
        if self.text.endswith("\n"):
            self.lines.pop()

    # --- reading ----------------------------------------------------------------------------------
    def render(self, numbers: list[int], note: str = "") -> str:
        """Lines (1-based numbers) as ``  12: text``, within the output and context budgets."""
        out: list[str] = []
        size = 0
        for number in numbers:
            line = self.lines[number - 1]
            if len(line) > MAX_LINE_CHARS:
                line = line[:MAX_LINE_CHARS] + f" [... {len(line) - MAX_LINE_CHARS} more characters]"
            row = f"{number:>7}: {line}"
            if size + len(row) + 1 > self.limits.output_chars:
                out.append(f"[... output cut at {self.limits.output_chars} characters: ask for fewer lines ...]")
                break
            out.append(row)
            size += len(row) + 1
        if note:
            out.append(note)
        return self.spend("\n".join(out))

    def spend(self, output: str) -> str:
        """Charge ``output`` to the context budget; refuse once the budget is spent."""
        tokens = (len(output.encode()) + 3) // 4
        if self.shown_tokens + tokens > self.limits.context_tokens:
            left = self.limits.context_tokens - self.shown_tokens
            raise ToolError(
                f"this would show {tokens} tokens of content but only {max(0, left)} of the run's "
                f"{self.limits.context_tokens} remain",
                "narrow the request (fewer lines, a tighter pattern), use rlm_llm_query on a slice, "
                "or call rlm_final with what you have",
            )
        self.shown_tokens += tokens
        return output

    def check_span(self, start: int, end: int) -> tuple[int, int]:
        total = len(self.lines)
        if start < 1 or end < start:
            raise ToolError(f"bad line range {start}-{end}", f"lines are numbered 1 to {total}")
        if start > total:
            raise ToolError(f"line {start} is past the end", f"the content has {total} lines")
        return start, min(end, total)

    async def matching(self, pattern: str, ignore_case: bool) -> list[int]:
        """1-based numbers of the lines matching ``pattern``; text that is not a valid expression is
        searched literally. ripgrep does the matching where it is installed: its engine runs in linear
        time, so a pathological pattern from the model cannot stall the event loop as ``re`` would."""
        if not pattern:
            raise ToolError("an empty pattern matches every line", "give a word or a regular expression")
        if "\0" in pattern:  # cannot be a command-line argument: search for the text itself
            return self._matching_re(re.escape(pattern), ignore_case)
        try:
            binary = rg_binary()
        except ToolError:
            return self._matching_re(pattern, ignore_case)
        if self._data is None:
            self._data = "\n".join(self.lines).encode("utf-8", "surrogatepass") + b"\n"
        flags = ["-i"] if ignore_case else ["-s"]
        code, out = await _rg(binary, [*flags, "-e", pattern], self._data)
        if code == 2:  # not a valid expression for ripgrep: search for the text itself
            code, out = await _rg(binary, [*flags, "-F", "-e", pattern], self._data)
        if code == 2:
            raise ToolError(f"cannot search for {pattern!r}", "try a simpler pattern")
        return [int(row.split(b":", 1)[0]) for row in out.splitlines() if row[:1].isdigit()]

    def _matching_re(self, pattern: str, ignore_case: bool) -> list[int]:
        flags = re.IGNORECASE if ignore_case else 0
        try:
            search = re.compile(pattern, flags).search
        except re.error:
            search = re.compile(re.escape(pattern), flags).search
        return [i + 1 for i, line in enumerate(self.lines) if search(line)]

    def slice_text(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start - 1 : end])


async def _rg(binary: str, args: list[str], data: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    """ripgrep over ``data`` on stdin: (exit code, ``N:line`` rows). Exit 1 is "no match", 2 an error."""
    proc = await asyncio.create_subprocess_exec(
        binary,
        "--line-number",
        "--no-heading",
        "--color=never",
        "--no-config",
        "--text",  # a NUL byte in the content must not turn the search into "binary file matches"
        "--max-columns=1",  # only the line numbers are read: print no line text
        *args,
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={"PATH": os.environ.get("PATH", "")},
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(data), timeout)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise ToolError(f"the search took longer than {timeout:g}s", "use a simpler pattern") from exc
    return proc.returncode or 0, out


CURRENT: ContextVar[RlmStore | None] = ContextVar("codetether_rlm_store", default=None)


def current_store() -> RlmStore:
    """The store of the RLM run this tool call belongs to."""
    store = CURRENT.get()
    if store is None:
        raise ToolError("the rlm_* tools work only inside an RLM run", "use the rlm tool to start one")
    return store
