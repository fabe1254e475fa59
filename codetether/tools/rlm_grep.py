"""rlm_grep: the lines of the content that match a pattern, with line numbers."""

from typing import Annotated

import msgspec

from .context import ToolContext
from .rlm_store import current_store

NAME = "rlm_grep"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pattern: Annotated[str, msgspec.Meta(description="A regular expression (ripgrep syntax), or plain text")]
    ignore_case: Annotated[bool, msgspec.Meta(description="Match regardless of case")] = False
    max_matches: Annotated[int, msgspec.Meta(ge=1, le=500, description="Most matching lines to show")] = 50
    context: Annotated[int, msgspec.Meta(ge=0, le=20, description="Lines to show around each match")] = 0


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    hits = await store.matching(params.pattern, params.ignore_case)
    if not hits:
        return store.spend(f"no line matches {params.pattern!r} (of {len(store.lines)} lines)")
    shown = hits[: params.max_matches]
    numbers: list[int] = []
    for hit in shown:
        for number in range(max(1, hit - params.context), min(len(store.lines), hit + params.context) + 1):
            if not numbers or number > numbers[-1]:
                numbers.append(number)
    note = f"({len(hits)} matching lines)"
    if len(hits) > len(shown):
        note = f"({len(hits)} matching lines; showing the first {len(shown)}: raise max_matches or narrow the pattern)"
    return store.render(numbers, note)
