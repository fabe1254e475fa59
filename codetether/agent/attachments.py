"""The user's message that starts a run: the prompt plus any attached files (text or images)."""

import base64
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..providers.types import ImagePart, Message, TextPart
from ..tools.files import image_type, is_binary

MAX_ATTACHMENT_BYTES = 2_000_000


def _attachments(files: list[str], cwd: Path) -> tuple[list[str], list[ImagePart]]:
    texts, images = [], []
    for name in files:
        path = (cwd / name).expanduser()
        try:
            with open(path, "rb") as fh:  # one byte past the limit at most: `-f /dev/zero` must not fill memory
                data = fh.read(MAX_ATTACHMENT_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"cannot attach {name}: {exc.strerror}", "check the -f path") from exc
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise UsageError(f"cannot attach {name}: it is over the 2 MB limit")
        media_type = image_type(data[:16])
        if media_type:
            images.append(ImagePart(media_type=media_type, data=base64.b64encode(data).decode()))
        elif is_binary(data[:8192]):
            raise UsageError(f"cannot attach {name}: it is a binary file")
        else:
            texts.append(f'<file path="{name}">\n{data.decode("utf-8", "replace")}\n</file>')
    return texts, images


def user_message(prompt: str, files: list[str], cwd: Path) -> Message:
    """``prompt`` with each file in ``files`` (relative to ``cwd``) attached."""
    texts, images = _attachments(files, cwd)
    content: list[Any] = [TextPart(text=prompt)]
    content += [TextPart(text=t) for t in texts]
    return Message(role="user", content=[*content, *images])
