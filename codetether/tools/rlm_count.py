"""rlm_count: how many lines of the content match a pattern, and where the first and last are."""

from typing import Annotated

import msgspec

from .context import ToolContext
from .rlm_store import current_store

NAME = "rlm_count"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pattern: Annotated[str, msgspec.Meta(description="A regular expression (ripgrep syntax), or plain text")]
    ignore_case: Annotated[bool, msgspec.Meta(description="Match regardless of case")] = False


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    hits = await store.matching(params.pattern, params.ignore_case)
    where = f"; first at line {hits[0]}, last at line {hits[-1]}" if hits else ""
    return store.spend(f"{len(hits)} of {len(store.lines)} lines match {params.pattern!r}{where}")
