"""rlm_slice: a range of lines of the content."""

from typing import Annotated

import msgspec

from .context import ToolContext
from .rlm_store import current_store

NAME = "rlm_slice"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    start_line: Annotated[int, msgspec.Meta(ge=1, description="First line (1-based)")]
    end_line: Annotated[int, msgspec.Meta(ge=1, description="Last line (inclusive)")]


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    start, end = store.check_span(params.start_line, params.end_line)
    return store.render(list(range(start, end + 1)), f"(lines {start}-{end} of {len(store.lines)})")
