"""Keeping a session inside the context window: prune old tool output, condense oversized recent
output, then summarise.

The user's first request is never dropped: it stays verbatim at the head of the history, with the
summary of what happened since attached to it. Tool calls and their results are never separated.
A recent tool output too large for its share of the window is cut by the content-aware chunker and
its highest-priority chunks kept (errors and stack traces, definitions, headings, the newest
records), in source order with ``[... N lines omitted ...]`` markers, rather than head and tail.
"""

import msgspec

from ctcore.chunker import chunk, detect, reassemble, select

from ..providers.base import Provider
from ..providers.types import Message, Request, TextPart
from .prompt import prompt_file

PRUNED = "[output pruned to save context; run the tool again if you need it]"
KEEP_RECENT_TOOL_RESULTS = 4
SUMMARY_HEADER = "[Summary of the earlier conversation, written to save context]"
CONDENSED = "[output condensed to save context: {kept} of {total} lines kept, by priority ({kind})"
OUTPUT_SHARE = 0.15  # of the window, the most one kept tool output may take after condensing


def estimate_tokens(messages: list[Message], extra_chars: int = 0) -> int:
    """About four characters per token, plus a little per message; cheap and close enough to plan by."""
    chars = extra_chars
    for m in messages:
        chars += 16
        for part in m.content:
            chars += len(getattr(part, "text", "")) or len(getattr(part, "data", "")) // 3
        for call in m.tool_calls:
            chars += len(call.name) + len(call.arguments) + 16
    return chars // 4


def prune_tool_outputs(messages: list[Message], keep_recent: int = KEEP_RECENT_TOOL_RESULTS) -> list[Message]:
    tool_indexes = [i for i, m in enumerate(messages) if m.role == "tool"]
    old = set(tool_indexes[:-keep_recent] if keep_recent else tool_indexes)
    out = []
    for i, m in enumerate(messages):
        if i in old and len(m.text) > len(PRUNED):
            m = msgspec.structs.replace(m, content=[TextPart(text=PRUNED)])
        out.append(m)
    return out


def condense_tool_outputs(messages: list[Message], budget_tokens: int) -> list[Message]:
    """Tool results over ``budget_tokens`` cut to their highest-priority chunks (see the module docstring)."""
    out = []
    for m in messages:
        text = m.text
        if m.role == "tool" and len(text) // 4 > budget_tokens and not text.startswith(CONDENSED[:25]):
            kind = detect(text)
            picked = select(chunk(text, kind, max(40, budget_tokens // 10)), budget_tokens)
            total = text.count("\n") + (0 if text.endswith("\n") else 1)
            kept = sum(c.end_line - c.start_line + 1 for c in picked)
            note = CONDENSED.format(kept=kept, total=total, kind=kind) + "; run the tool again, narrower, for the rest]"
            others = [part for part in m.content if not isinstance(part, TextPart)]
            m = msgspec.structs.replace(m, content=[TextPart(text=f"{note}\n{reassemble(text, picked)}"), *others])
        out.append(m)
    return out


def _transcript(messages: list[Message], budget_chars: int) -> str:
    lines = []
    for m in messages:
        if m.role == "tool":
            lines.append(f"[{m.name} result] {m.text[:2000]}")
        else:
            calls = "".join(f"\n[calls {c.name} {c.arguments[:500]}]" for c in m.tool_calls)
            lines.append(f"[{m.role}] {m.text}{calls}")
    text = "\n\n".join(lines)
    return text[-budget_chars:]


class Compactor:
    """Decides when a history is too long and shortens it."""

    def __init__(self, provider: Provider, model: str, context_window: int, *, threshold: float = 0.8) -> None:
        self.provider = provider
        self.model = model
        self.window = context_window
        self.threshold = threshold

    def over(self, messages: list[Message], extra_chars: int = 0) -> bool:
        return estimate_tokens(messages, extra_chars) > self.window * self.threshold

    async def compact(
        self, messages: list[Message], *, extra_chars: int = 0, force: bool = False
    ) -> tuple[list[Message], bool]:
        """(shorter history, whether a summary was written)."""
        pruned = condense_tool_outputs(prune_tool_outputs(messages), max(500, int(self.window * OUTPUT_SHARE)))
        if not force and not self.over(pruned, extra_chars):
            return pruned, False
        system = [m for m in pruned if m.role == "system"]
        rest = [m for m in pruned if m.role != "system"]
        first_user = next((i for i, m in enumerate(rest) if m.role == "user"), None)
        if first_user is None:
            return pruned, False
        tail_start = self._minimal_tail(rest, first_user) if force else self._tail_start(rest, first_user)
        middle = rest[first_user + 1 : tail_start]
        if not middle:
            return prune_tool_outputs(messages, keep_recent=0), False
        summary = await self._summarise(rest[:tail_start])
        head = rest[first_user]
        merged = msgspec.structs.replace(
            head, content=[*head.content, TextPart(text=f"\n\n{SUMMARY_HEADER}\n{summary}")]
        )
        return [*system, *rest[:first_user], merged, *rest[tail_start:]], True

    def _tail_start(self, rest: list[Message], first_user: int) -> int:
        """Index where the verbatim tail begins: an assistant turn, with the tail within 30% of the window."""
        budget = self.window * 0.3
        start = len(rest)
        for i in range(len(rest) - 1, first_user, -1):
            if estimate_tokens(rest[i:]) > budget:
                break
            if rest[i].role == "assistant":
                start = i
        return start

    def _minimal_tail(self, rest: list[Message], first_user: int) -> int:
        """When the provider already refused the request, keep only the newest turn verbatim."""
        for i in range(len(rest) - 1, first_user, -1):
            if rest[i].role == "user" or rest[i].role == "assistant":
                return i
        return len(rest)

    async def _summarise(self, messages: list[Message]) -> str:
        transcript = _transcript(messages, budget_chars=int(self.window * 4 * 0.6))
        request = Request(
            model=self.model,
            messages=[
                Message.system("You summarise coding sessions precisely and briefly."),
                Message.user(f"{transcript}\n\n{prompt_file('summary.md')}"),
            ],
            max_tokens=min(4096, max(256, self.window // 8)),
        )
        response = await self.provider.complete(request)
        return response.text.strip() or "(the summary came back empty)"
