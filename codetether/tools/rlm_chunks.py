"""rlm_chunks: the content's outline, as the content-aware chunker cut it, highest priority first."""

from typing import Annotated, Literal

import msgspec

from ctcore.chunker import chunk

from .context import ToolContext
from .rlm_store import current_store

NAME = "rlm_chunks"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    max_tokens: Annotated[int, msgspec.Meta(ge=50, le=50_000, description="Largest chunk, in tokens")] = 2000
    order: Annotated[Literal["priority", "source"], msgspec.Meta(description="List by priority or by position")] = (
        "priority"
    )
    limit: Annotated[int, msgspec.Meta(ge=1, le=500, description="Most chunks to list")] = 40


async def run(params: Params, ctx: ToolContext) -> str:
    store = current_store()
    chunks = chunk(store.text, store.content_type, params.max_tokens)
    if params.order == "priority":
        listed = sorted(chunks, key=lambda c: (-c.priority, -c.start_line))[: params.limit]
    else:
        listed = chunks[: params.limit]
    rows = [f"{len(chunks)} chunks ({store.content_type}); lines, tokens, priority, kind, first line:"]
    for c in listed:
        first = store.lines[c.start_line - 1].strip()[:100]
        rows.append(f"  {c.start_line}-{c.end_line}  {c.tokens} tok  p{c.priority}  {c.kind}  | {first}")
    if len(chunks) > len(listed):
        rows.append(f"({len(chunks) - len(listed)} more; raise limit or use order=source)")
    return store.spend("\n".join(rows))
