"""The session file format: one JSON record per line, replayed in order to rebuild the session.

A ``meta`` record heads the file (a later one updates the title), ``message`` and ``usage``
records follow as they happen, and a ``checkpoint`` replaces the history so far (compaction, or a
repair that had to insert a message). A torn final line, left by a process killed mid-write, is not
an error: it is reported so the next write cuts it off first.
"""

from pathlib import Path

import msgspec

from ..errors import CodetetherError
from ..providers.types import Message, Usage


class MetaRecord(msgspec.Struct, tag="meta", kw_only=True):
    id: str
    cwd: str
    created: str
    model: str
    title: str = ""


class MessageRecord(msgspec.Struct, tag="message", kw_only=True):
    message: Message


class UsageRecord(msgspec.Struct, tag="usage", kw_only=True):
    usage: Usage
    model: str


class CheckpointRecord(msgspec.Struct, tag="checkpoint", kw_only=True):
    messages: list[Message]


class SessionSummary(msgspec.Struct, kw_only=True):
    """One line of ``codetether sessions list``."""

    id: str
    cwd: str
    created: str
    model: str
    title: str
    messages: int
    usage: Usage
    path: str


Record = MetaRecord | MessageRecord | UsageRecord | CheckpointRecord
_decoder = msgspec.json.Decoder(Record)
_encoder = msgspec.json.Encoder()


def encode(records: list[Record]) -> bytes:
    return b"".join(_encoder.encode(r) + b"\n" for r in records)


class Replay(msgspec.Struct, kw_only=True):
    """What a session file holds, and where its torn final line starts (None: it has none)."""

    meta: MetaRecord
    messages: list[Message]
    usage: Usage
    torn_at: int | None = None


def replay(path: Path) -> Replay:
    meta: MetaRecord | None = None
    messages: list[Message] = []
    usage = Usage()
    lines = path.read_bytes().split(b"\n")
    torn_at: int | None = None
    offset = 0
    for number, line in enumerate(lines, start=1):
        start, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        try:
            record = _decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            if number == len(lines):  # no newline after it: a torn final line from a killed process
                torn_at = start
                break
            raise CodetetherError(f"session file {path} is corrupt at line {number}: {exc}") from exc
        if isinstance(record, MetaRecord):
            meta = record
        elif isinstance(record, MessageRecord):
            messages.append(record.message)
        elif isinstance(record, UsageRecord):
            usage = usage + record.usage
        else:
            messages = list(record.messages)
    if meta is None:
        raise CodetetherError(f"session file {path} has no header", "delete it with `codetether sessions delete`")
    return Replay(meta=meta, messages=messages, usage=usage, torn_at=torn_at)
