"""Pure-Python ring-buffer bus: the readable specification that ``_ringbus_c`` must match exactly.

One bounded ring holds every published item once. Each subscriber owns a cursor into it and a
topic pattern; ``poll`` returns the items after its cursor whose topic matches. A subscriber that
falls more than ``capacity`` items behind is told how many it missed and resumes at the oldest
item still held: the publisher never waits and memory never grows.

Patterns are dot-separated: ``*`` matches exactly one segment, ``#`` matches zero or more
(``swarm.#`` matches ``swarm``, ``swarm.1`` and ``swarm.1.stage.2``).
"""

__all__ = ["RingBus", "topic_matches", "validate_pattern", "validate_topic"]


def validate_topic(topic: str) -> None:
    if not isinstance(topic, str):
        raise TypeError(f"topic must be str, not {type(topic).__name__}")
    if not topic or any(not part for part in topic.split(".")):
        raise ValueError(f"invalid topic {topic!r}: segments must be non-empty")
    if "*" in topic or "#" in topic:
        raise ValueError(f"invalid topic {topic!r}: wildcards belong in subscription patterns")


def validate_pattern(pattern: str) -> None:
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be str, not {type(pattern).__name__}")
    parts = pattern.split(".")
    if not pattern or any(not part for part in parts):
        raise ValueError(f"invalid pattern {pattern!r}: segments must be non-empty")
    for part in parts:
        if part not in ("*", "#") and ("*" in part or "#" in part):
            raise ValueError(f"invalid pattern {pattern!r}: a wildcard must be a whole segment")


def _match(pattern: list[str], topic: list[str], i: int, j: int) -> bool:
    while i < len(pattern):
        part = pattern[i]
        if part == "#":
            if i == len(pattern) - 1:
                return True
            return any(_match(pattern, topic, i + 1, k) for k in range(j, len(topic) + 1))
        if j >= len(topic) or (part != "*" and part != topic[j]):
            return False
        i += 1
        j += 1
    return j == len(topic)


def topic_matches(pattern: str, topic: str) -> bool:
    """Whether ``topic`` is delivered to a subscription on ``pattern``."""
    return _match(pattern.split("."), topic.split("."), 0, 0)


class _Subscriber:
    __slots__ = ("cache", "cursor", "pattern")

    def __init__(self, pattern: str, cursor: int) -> None:
        self.pattern = pattern
        self.cursor = cursor
        self.cache: dict[int, bool] = {}  # topic id -> matches


class RingBus:
    """Bounded multi-subscriber ring. Not thread-safe: use it from one event loop."""

    def __init__(self, capacity: int = 65536) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be a positive int, got {capacity!r}")
        self.capacity = capacity
        self.head = 0  # sequence number of the next item
        self._items: list[object] = [None] * capacity
        self._topic_of: list[int] = [0] * capacity
        self._topic_ids: dict[str, int] = {}
        self._topics: list[str] = []
        self._subs: dict[int, _Subscriber] = {}
        self._next_sid = 1

    def publish(self, topic: str, item: object) -> int:
        """Store ``item`` once; returns its sequence number."""
        topic_id = self._topic_ids.get(topic)
        if topic_id is None:
            validate_topic(topic)
            topic_id = self._topic_ids[topic] = len(self._topics)
            self._topics.append(topic)
        seq = self.head
        slot = seq % self.capacity
        self._items[slot] = item
        self._topic_of[slot] = topic_id
        self.head = seq + 1
        return seq

    def subscribe(self, pattern: str) -> int:
        """A new subscriber that sees items published from now on."""
        validate_pattern(pattern)
        sid = self._next_sid
        self._next_sid += 1
        self._subs[sid] = _Subscriber(pattern, self.head)
        return sid

    def unsubscribe(self, sid: int) -> None:
        self._subs.pop(sid, None)

    def _sub(self, sid: int) -> _Subscriber:
        try:
            return self._subs[sid]
        except KeyError:
            raise KeyError(f"unknown subscriber {sid}") from None

    def pending(self, sid: int) -> int:
        """Items published since the subscriber's cursor (before filtering), capped at capacity."""
        return min(self.head - self._sub(sid).cursor, self.capacity)

    def poll(self, sid: int, limit: int = -1) -> tuple[list[object], int]:
        """(matching items after the cursor, oldest first; how many were missed by falling behind)."""
        sub = self._sub(sid)
        missed = 0
        oldest = self.head - self.capacity
        if sub.cursor < oldest:
            missed = oldest - sub.cursor
            sub.cursor = oldest
        out: list[object] = []
        pattern_parts = sub.pattern.split(".")
        while sub.cursor < self.head and (limit < 0 or len(out) < limit):
            slot = sub.cursor % self.capacity
            topic_id = self._topic_of[slot]
            hit = sub.cache.get(topic_id)
            if hit is None:
                hit = sub.cache[topic_id] = _match(pattern_parts, self._topics[topic_id].split("."), 0, 0)
            if hit:
                out.append(self._items[slot])
            sub.cursor += 1
        return out, missed

    def subscribers(self) -> int:
        return len(self._subs)
