"""rlm_tail: the last lines of the content an RLM run explores."""

from typing import Annotated

import msgspec

from .context import ToolContext
from .rlm_store import current_store

NAME = "rlm_tail"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    n: Annotated[int, msgspec.Meta(ge=1, le=2000, description="How many lines")] = 20


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    total = len(store.lines)
    first = max(1, total - params.n + 1)
    return store.render(list(range(first, total + 1)), f"(lines {first}-{total} of {total})")
