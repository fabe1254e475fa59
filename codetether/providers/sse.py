"""Incremental Server-Sent Events decoder (WHATWG HTML, "Parsing an event stream").

Bytes arrive in arbitrary pieces: a UTF-8 character or a CRLF pair may be split across two
network reads, and the decoder must not care.
"""

import codecs

import msgspec


class SSEEvent(msgspec.Struct, array_like=True):
    event: str
    data: str
    id: str | None = None


class SSEDecoder:
    """Feed bytes, get complete events. Comments and unknown fields are ignored, as the spec says."""

    __slots__ = ("_buffer", "_data", "_decoder", "_event", "_id")

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        text = self._buffer + self._decoder.decode(chunk)
        if "\r" in text:
            held = ""
            if text.endswith("\r"):  # may be the first half of a CRLF split across reads
                text, held = text[:-1], "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines = text.split("\n")
            self._buffer = lines.pop() + held
        else:
            lines = text.split("\n")
            self._buffer = lines.pop()
        events: list[SSEEvent] = []
        for line in lines:
            if not line:
                if self._data:
                    events.append(SSEEvent(self._event or "message", "\n".join(self._data), self._id))
                self._event = ""
                self._data = []
                continue
            if line[0] == ":":
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id" and "\0" not in value:
                self._id = value
        return events

    @property
    def has_partial_event(self) -> bool:
        """True when data arrived that never became a complete event (a truncated stream)."""
        return bool(self._data or self._buffer.strip())
