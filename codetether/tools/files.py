"""File helpers shared by the file tools: decoding, binary/image detection, atomic writes."""

import os
import tempfile
from pathlib import Path

from .base import ToolError

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def image_type(head: bytes) -> str | None:
    for magic, media_type in IMAGE_TYPES.items():
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_binary(head: bytes) -> bool:
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # a cut multi-byte character at the very end is not binary
    return False


def read_text(path: Path, display: str) -> str:
    """A text file's content, or ToolError saying why it cannot be read as text."""
    if not path.exists():
        raise ToolError(f"{display} does not exist", _suggest(path))
    if path.is_dir():
        raise ToolError(f"{display} is a directory", "use list_dir to see what it holds")
    try:
        data = path.read_bytes()
    except PermissionError as exc:
        raise ToolError(f"{display} is not readable (permission denied)") from exc
    head = data[:8192]
    media_type = image_type(head)
    if media_type:
        raise ToolError(f"{display} is an image ({media_type}, {len(data)} bytes)", "use the image tool to view it")
    if is_binary(head):
        raise ToolError(f"{display} is a binary file ({len(data)} bytes); not shown")
    return data.decode("utf-8", errors="replace")


def _suggest(path: Path) -> str:
    parent = path.parent
    if not parent.is_dir():
        return f"the directory {parent} does not exist either"
    stem = path.name.lower()
    close = [p.name for p in parent.iterdir() if stem[:3] in p.name.lower() or p.stem.lower() == path.stem.lower()]
    return f"similar names here: {', '.join(sorted(close)[:5])}" if close else "check the path with glob or list_dir"


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename, keeping the file's permissions; a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode if mode is not None else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
