"""rlm_head: the first lines of the content an RLM run explores."""

from typing import Annotated

import msgspec

from .context import ToolContext
from .rlm_store import current_store

NAME = "rlm_head"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    n: Annotated[int, msgspec.Meta(ge=1, le=2000, description="How many lines")] = 20


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    count = min(params.n, len(store.lines))
    return store.render(list(range(1, count + 1)), f"(lines 1-{count} of {len(store.lines)})")
