"""rlm: hand a file or text too large for the context to the RLM, and get back its answer."""

import asyncio
from typing import Annotated, Literal

import msgspec

from .base import ToolError
from .context import ToolContext

NAME = "rlm"
KIND = "delegate"  # runs a model (the RLM) on its own; scheduled alone, like `task`
MAX_BYTES = 256 * 1024 * 1024  # what it will hold in memory


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    question: Annotated[str, msgspec.Meta(description="What to find out; the RLM sees nothing else of this session")]
    file_path: Annotated[str, msgspec.Meta(description="A file to analyse (absolute or workspace-relative)")] = ""
    text: Annotated[str, msgspec.Meta(description="Text to analyse instead of a file")] = ""
    content_type: Annotated[
        Literal["auto", "code", "logs", "conversation", "documents"],
        msgspec.Meta(description="What the content is; auto detects it"),
    ] = "auto"


def _read(path) -> str:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ToolError(f"{path} is {size} bytes; the rlm tool holds at most {MAX_BYTES}")
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise ToolError(f"{path} looks like a binary file", "the RLM reads text: logs, code, transcripts, documents")
    return data.decode("utf-8", errors="replace")


async def run(params: Params, ctx: ToolContext) -> str:
    if bool(params.file_path) == bool(params.text):
        raise ToolError("give either file_path or text", "file_path for a file, text for content you already have")
    if params.file_path:
        path = await ctx.path(params.file_path)
        if not path.is_file():
            raise ToolError(f"no such file: {params.file_path}")
        try:
            content = await asyncio.to_thread(_read, path)
        except OSError as exc:
            raise ToolError(f"cannot read {params.file_path}: {exc.strerror or exc}") from exc
        label = ctx.display(path)
    else:
        content, label = params.text, "text given to the rlm tool"
    if not content.strip():
        raise ToolError(f"{label} is empty")
    return await ctx.services.rlm(params.question, content, params.content_type, label)
