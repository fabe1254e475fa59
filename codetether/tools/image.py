"""image: show an image file to a vision-capable model."""

import asyncio
import base64
from typing import Annotated

import msgspec

from .base import ToolError, ToolResult
from .context import ToolContext
from .files import image_type, read_head

NAME = "image"
KIND = "read"
MAX_BYTES = 5 * 1024 * 1024


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    file_path: Annotated[str, msgspec.Meta(description="Path of a PNG, JPEG, GIF or WebP file")]


async def run(params: Params, ctx: ToolContext) -> ToolResult:
    path = await ctx.path(params.file_path)
    data, size = await asyncio.to_thread(read_head, path, params.file_path, MAX_BYTES + 1)
    media_type = image_type(data[:16])
    if media_type is None:
        raise ToolError(f"{params.file_path} is not a PNG, JPEG, GIF or WebP image", "use read_file for text")
    if len(data) > MAX_BYTES:
        raise ToolError(f"{params.file_path} is {size} bytes; images over 5 MB are not sent")
    encoded = base64.b64encode(data).decode()
    return ToolResult(
        output=f"image {ctx.display(path)} ({media_type}, {len(data)} bytes) is attached",
        metadata={"image": {"media_type": media_type, "data": encoded}},
    )
