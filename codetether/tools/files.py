"""File helpers shared by the file tools: safe opening, windowed reading, byte-exact text, atomic writes.

Every function here blocks on the disk: tools call them through ``asyncio.to_thread`` so one slow
file never stalls the other agents and servers sharing the event loop. Only regular files are
opened: a FIFO, socket or device given as a path would block a read forever or stream without end.
"""

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .base import ToolError
from .freshness import CHUNK, Stamp, hasher_for, stamp_of

HEAD = 8192  # what binary and image sniffing looks at

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}

_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


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


def special_kind(mode: int) -> str | None:
    """What a non-regular, non-directory file is ("a FIFO (named pipe)"), or None for a regular file."""
    for test, kind in _SPECIAL:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def refuse_special(display: str, mode: int, verb: str) -> None:
    kind = special_kind(mode)
    if kind is not None:
        raise ToolError(
            f"{display} is {kind}, not a regular file; only regular files can be {verb}",
            "pick a regular file (list_dir shows them)",
        )


def open_regular(path: Path, display: str) -> tuple[int, os.stat_result]:
    """An open read-only descriptor on a regular file, and its stat; ToolError for anything else.

    The stat comes first so a device is never opened (opening some has side effects); the open is
    non-blocking and checked again, so a FIFO swapped in between cannot hang the read.
    """
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise ToolError(f"{display} does not exist", _suggest(path)) from None
    except NotADirectoryError:
        raise ToolError(f"{display} does not exist (a parent is a file)") from None
    except PermissionError as exc:
        raise ToolError(f"{display} is not readable (permission denied)") from exc
    if stat.S_ISDIR(before.st_mode):
        raise ToolError(f"{display} is a directory", "use list_dir to see what it holds")
    refuse_special(display, before.st_mode, "read")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError as exc:
        raise ToolError(f"{display} is not readable (permission denied)") from exc
    except FileNotFoundError:
        raise ToolError(f"{display} does not exist", _suggest(path)) from None
    try:
        after = os.fstat(fd)
        refuse_special(display, after.st_mode, "read")
    except BaseException:
        os.close(fd)
        raise
    return fd, after


def _sniff(head: bytes, size: int, display: str) -> None:
    media_type = image_type(head)
    if media_type:
        raise ToolError(f"{display} is an image ({media_type}, {size} bytes)", "use the image tool to view it")
    if is_binary(head):
        raise ToolError(f"{display} is a binary file ({size} bytes); not shown")


def read_head(path: Path, display: str, most: int) -> tuple[bytes, int]:
    """At most ``most`` bytes from the start of a regular file, and the file's size."""
    fd, st = open_regular(path, display)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(most), st.st_size


@dataclass
class Window:
    """Lines ``first``.. of a text file as read_file shows them, and what it takes to say where they sit."""

    lines: list[str]
    total: int  # lines in the whole file
    stamp: Stamp


class _LineWindow:
    """Collects lines [first, first + count) from a stream of chunks, counting the others without keeping them."""

    def __init__(self, first: int, count: int, max_line: int) -> None:
        self.first, self.stop, self.max_line = first, first + count, max_line
        self.line = 0  # index of the line being read
        self.pending = False  # bytes seen since the last newline
        self.kept: list[str] = []
        self._buf = bytearray()
        self._more = 0  # characters of the current line beyond what _buf keeps

    def feed(self, chunk: bytes) -> None:
        pos = 0
        while pos < len(chunk):
            if self.line >= self.stop or self.line < self.first:
                # Outside the window only newlines matter: count them in C, not per line in Python.
                target = self.stop if self.line >= self.stop else self.first
                newlines = chunk.count(b"\n", pos)
                if self.line >= self.stop or self.line + newlines < target:
                    self.line += newlines
                    self.pending = not chunk.endswith(b"\n")
                    return
                while self.line < target:
                    pos = chunk.index(b"\n", pos) + 1
                    self.line += 1
                self.pending = False
                continue
            end = chunk.find(b"\n", pos)
            piece = chunk[pos : len(chunk) if end < 0 else end]
            self._take(piece)
            self.pending = True
            if end < 0:
                return
            self._finish_line()
            pos = end + 1

    def _take(self, piece: bytes) -> None:
        room = self.max_line * 4 + 1 - len(self._buf)  # UTF-8 needs at most 4 bytes a character
        if room > 0:
            self._buf += piece[:room]
            piece = piece[room:]
        # Characters beyond the kept bytes: every byte that does not continue a multi-byte sequence.
        self._more += len(piece) - len(piece.translate(None, _NOT_CONTINUATION))

    def _finish_line(self) -> None:
        text = self._buf.decode("utf-8", "replace")
        if text.endswith("\r") and not self._more:
            text = text[:-1]
        cut = len(text) + self._more - self.max_line
        if cut > 0:
            text = text[: self.max_line] + f"... [line truncated, {cut} more characters]"
        self.kept.append(text)
        self._buf.clear()
        self._more = 0
        self.line += 1
        self.pending = False

    def finish(self) -> int:
        """The number of lines in the whole file (a last line without a newline counts)."""
        if self.pending:
            if self.first <= self.line < self.stop:
                self._finish_line()
            else:
                self.line += 1
        return self.line


_NOT_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b < 0xC0)


def read_window(path: Path, display: str, first: int, count: int, max_line: int) -> Window:
    """Lines ``first`` (0-based) to ``first + count`` of a text file, in memory proportional to ``count``.

    The whole file is still streamed once, in chunks, to count its lines and stamp its content.
    """
    fd, st = open_regular(path, display)
    hasher = hasher_for(st.st_size)
    window = _LineWindow(first, count, max_line)
    size = 0
    with os.fdopen(fd, "rb") as fh:
        chunk = fh.read(HEAD)
        _sniff(chunk, st.st_size, display)
        while chunk:
            if hasher is not None:
                hasher.update(chunk)
            size += len(chunk)
            window.feed(chunk)
            chunk = fh.read(CHUNK)
    total = window.finish()
    return Window(window.kept, total, Stamp(st.st_mtime_ns, size, None if hasher is None else hasher.digest()))


@dataclass(frozen=True)
class TextFile:
    """A text file held for editing so that writing it back changes only what was edited.

    Bytes that are not UTF-8 are kept as surrogate escapes and written back as the same bytes; a
    file whose every line ends in CRLF is edited as LF text and written back with CRLF.
    """

    text: str
    crlf: bool
    stamp: Stamp

    def incoming(self, text: str) -> str:
        """Text from the model, in this file's in-memory form (the model may send CRLF or LF)."""
        return text.replace("\r\n", "\n") if self.crlf else text

    def encode(self, text: str) -> bytes:
        return encode_text(text.replace("\n", "\r\n") if self.crlf else text)


def encode_text(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def shown(text: str) -> str:
    """Text safe to show (bytes that are not UTF-8 become U+FFFD, as read_file shows them)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load_text(path: Path, display: str) -> TextFile:
    """A whole text file for editing, or ToolError saying why it cannot be edited as text."""
    fd, st = open_regular(path, display)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    _sniff(data[:HEAD], len(data), display)
    newlines = data.count(b"\n")
    crlf = newlines > 0 and data.count(b"\r\n") == newlines
    text = data.decode("utf-8", "surrogateescape")
    return TextFile(text.replace("\r\n", "\n") if crlf else text, crlf, stamp_of(data, st))


def ensure_writable(path: Path, display: str) -> bool:
    """Whether ``path`` exists; ToolError when it is a directory, FIFO, socket or device."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        raise ToolError(f"{display} is a directory")
    refuse_special(display, st.st_mode, "written")
    return True


def _suggest(path: Path) -> str:
    parent = path.parent
    if not parent.is_dir():
        return f"the directory {parent} does not exist either"
    stem = path.name.lower()
    close = [p.name for p in parent.iterdir() if stem[:3] in p.name.lower() or p.stem.lower() == path.stem.lower()]
    return f"similar names here: {', '.join(sorted(close)[:5])}" if close else "check the path with glob or list_dir"


def write_atomic(path: Path, data: bytes) -> Stamp:
    """Write via a temp file and rename, keeping the file's permissions; a crash never leaves half a file.

    Returns the stamp of what was written, so the writer's own change does not count as a foreign one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.chmod(tmp, mode if mode is not None else 0o644)
            written = os.fstat(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return stamp_of(data, written)


def shown_error(exc: ToolError, file: TextFile, old_string: str) -> ToolError:
    """A failed match on ``file``, with kept non-UTF-8 bytes shown as U+FFFD (the text goes to the model as JSON)."""
    if "\ufffd" in old_string and shown(file.text) != file.text:
        hint: str | None = (
            "the file holds bytes that are not UTF-8, which read_file shows as \ufffd and an edit cannot match; "
            "choose an old_string that stops short of them"
        )
    else:
        hint = shown(exc.hint) if exc.hint else None
    return ToolError(shown(exc.message), hint)
