"""Incremental decoder for AWS event-stream framing (``application/vnd.amazon.eventstream``).

A message is: total length (u32) | headers length (u32) | CRC32 of those 8 bytes | headers |
payload | CRC32 of everything before it. Both CRCs are checked; a bad one means a corrupt stream.
"""

import struct
import uuid
import zlib

import msgspec

_PRELUDE = struct.Struct("!III")
_MAX_MESSAGE = 16 * 1024 * 1024  # the service's own limit; anything larger is a corrupt length field


class EventStreamError(ValueError):
    """The byte stream is not valid event-stream framing."""


class EventMessage(msgspec.Struct):
    headers: dict[str, object]
    payload: bytes


def _headers(raw: bytes) -> dict[str, object]:
    headers: dict[str, object] = {}
    pos = 0
    while pos < len(raw):
        name_len = raw[pos]
        name = raw[pos + 1 : pos + 1 + name_len].decode("utf-8")
        pos += 1 + name_len
        kind = raw[pos]
        pos += 1
        if kind in (0, 1):  # bool true / false
            value: object = kind == 0
        elif kind == 2:
            value = struct.unpack_from("!b", raw, pos)[0]
            pos += 1
        elif kind == 3:
            value = struct.unpack_from("!h", raw, pos)[0]
            pos += 2
        elif kind == 4:
            value = struct.unpack_from("!i", raw, pos)[0]
            pos += 4
        elif kind in (5, 8):  # int64, timestamp (ms)
            value = struct.unpack_from("!q", raw, pos)[0]
            pos += 8
        elif kind in (6, 7):  # bytes, string
            length = struct.unpack_from("!H", raw, pos)[0]
            data = raw[pos + 2 : pos + 2 + length]
            value = data.decode("utf-8") if kind == 7 else data
            pos += 2 + length
        elif kind == 9:
            value = str(uuid.UUID(bytes=raw[pos : pos + 16]))
            pos += 16
        else:
            raise EventStreamError(f"unknown header value type {kind}")
        headers[name] = value
    return headers


class EventStreamDecoder:
    """Feed bytes, get whole messages; partial frames wait for more bytes."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[EventMessage]:
        self._buffer += chunk
        messages: list[EventMessage] = []
        while len(self._buffer) >= 12:
            total, headers_len, prelude_crc = _PRELUDE.unpack_from(self._buffer, 0)
            if zlib.crc32(self._buffer[:8]) != prelude_crc:
                raise EventStreamError("prelude checksum mismatch")
            if total > _MAX_MESSAGE or total < 16 + headers_len:
                raise EventStreamError(f"impossible message length {total}")
            if len(self._buffer) < total:
                break
            frame = bytes(self._buffer[:total])
            del self._buffer[:total]
            (message_crc,) = struct.unpack_from("!I", frame, total - 4)
            if zlib.crc32(frame[:-4]) != message_crc:
                raise EventStreamError("message checksum mismatch")
            headers = _headers(frame[12 : 12 + headers_len])
            messages.append(EventMessage(headers, frame[12 + headers_len : -4]))
        return messages

    @property
    def pending(self) -> int:
        return len(self._buffer)
