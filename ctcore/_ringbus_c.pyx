# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled ring-buffer bus; ``_ringbus_py`` is its specification and the tests hold them equal.

Speed comes from: topics interned to small ints at publish time, a per-subscriber byte cache of
"does topic N match my pattern" (so a pattern is matched once per topic, not once per message),
and a tight C loop over the ring on poll.
"""

from cpython.list cimport PyList_GET_ITEM, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF, Py_DECREF
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset

__all__ = ["RingBus", "topic_matches", "validate_pattern", "validate_topic"]


def validate_topic(topic):
    if not isinstance(topic, str):
        raise TypeError(f"topic must be str, not {type(topic).__name__}")
    if not topic or any(not part for part in topic.split(".")):
        raise ValueError(f"invalid topic {topic!r}: segments must be non-empty")
    if "*" in topic or "#" in topic:
        raise ValueError(f"invalid topic {topic!r}: wildcards belong in subscription patterns")


def validate_pattern(pattern):
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be str, not {type(pattern).__name__}")
    parts = pattern.split(".")
    if not pattern or any(not part for part in parts):
        raise ValueError(f"invalid pattern {pattern!r}: segments must be non-empty")
    for part in parts:
        if part not in ("*", "#") and ("*" in part or "#" in part):
            raise ValueError(f"invalid pattern {pattern!r}: a wildcard must be a whole segment")


cdef bint _match(list pattern, list topic, Py_ssize_t i, Py_ssize_t j):
    cdef Py_ssize_t np = len(pattern)
    cdef Py_ssize_t nt = len(topic)
    cdef Py_ssize_t k
    cdef str part
    while i < np:
        part = <str>pattern[i]
        if part == "#":
            if i == np - 1:
                return True
            for k in range(j, nt + 1):
                if _match(pattern, topic, i + 1, k):
                    return True
            return False
        if j >= nt or (part != "*" and part != <str>topic[j]):
            return False
        i += 1
        j += 1
    return j == nt


def topic_matches(str pattern not None, str topic not None):
    return _match(pattern.split("."), topic.split("."), 0, 0)


cdef class _Subscriber:
    cdef public str pattern
    cdef list parts
    cdef long long cursor
    cdef unsigned char* cache  # per topic id: 0 unknown, 1 no, 2 yes
    cdef Py_ssize_t cache_len

    def __cinit__(self, str pattern, long long cursor):
        self.pattern = pattern
        self.parts = pattern.split(".")
        self.cursor = cursor
        self.cache = NULL
        self.cache_len = 0

    def __dealloc__(self):
        free(self.cache)

    cdef int grow(self, Py_ssize_t needed) except -1:
        cdef Py_ssize_t size = self.cache_len * 2 if self.cache_len else 64
        while size < needed:
            size *= 2
        cdef unsigned char* grown = <unsigned char*>realloc(self.cache, size)
        if grown == NULL:
            raise MemoryError()
        memset(grown + self.cache_len, 0, size - self.cache_len)
        self.cache = grown
        self.cache_len = size
        return 0


cdef class RingBus:
    cdef readonly Py_ssize_t capacity
    cdef readonly long long head
    cdef list _items
    cdef int* _topic_of
    cdef dict _topic_ids
    cdef list _topics
    cdef dict _subs
    cdef long long _next_sid

    def __cinit__(self, capacity=65536):
        self._topic_of = NULL

    def __init__(self, capacity=65536):
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be a positive int, got {capacity!r}")
        self.capacity = capacity
        self.head = 0
        self._items = [None] * capacity
        self._topic_of = <int*>malloc(capacity * sizeof(int))
        if self._topic_of == NULL:
            raise MemoryError()
        memset(self._topic_of, 0, capacity * sizeof(int))
        self._topic_ids = {}
        self._topics = []
        self._subs = {}
        self._next_sid = 1

    def __dealloc__(self):
        free(self._topic_of)

    cpdef long long publish(self, str topic, object item) except -1:
        cdef object found = self._topic_ids.get(topic)
        cdef int topic_id
        if found is None:
            validate_topic(topic)
            topic_id = len(self._topics)
            self._topic_ids[topic] = topic_id
            self._topics.append(topic)
        else:
            topic_id = <int>found
        cdef long long seq = self.head
        cdef Py_ssize_t slot = seq % self.capacity
        cdef object old = <object>PyList_GET_ITEM(self._items, slot)
        Py_INCREF(item)
        PyList_SET_ITEM(self._items, slot, item)
        Py_DECREF(old)
        self._topic_of[slot] = topic_id
        self.head = seq + 1
        return seq

    def subscribe(self, pattern):
        validate_pattern(pattern)
        cdef long long sid = self._next_sid
        self._next_sid += 1
        self._subs[sid] = _Subscriber(pattern, self.head)
        return sid

    def unsubscribe(self, sid):
        self._subs.pop(sid, None)

    cdef _Subscriber _sub(self, sid):
        cdef object sub = self._subs.get(sid)
        if sub is None:
            raise KeyError(f"unknown subscriber {sid}")
        return <_Subscriber>sub

    def pending(self, sid):
        cdef _Subscriber sub = self._sub(sid)
        return min(self.head - sub.cursor, self.capacity)

    def poll(self, sid, Py_ssize_t limit=-1):
        cdef _Subscriber sub = self._sub(sid)
        cdef long long missed = 0
        cdef long long oldest = self.head - self.capacity
        if sub.cursor < oldest:
            missed = oldest - sub.cursor
            sub.cursor = oldest
        cdef list out = []
        cdef Py_ssize_t count = 0
        cdef Py_ssize_t slot
        cdef int topic_id
        cdef unsigned char hit
        cdef long long head = self.head
        cdef Py_ssize_t ntopics = len(self._topics)
        if sub.cache_len < ntopics:
            sub.grow(ntopics)
        slot = sub.cursor % self.capacity
        while sub.cursor < head and (limit < 0 or count < limit):
            topic_id = self._topic_of[slot]
            hit = sub.cache[topic_id]
            if hit == 0:
                hit = 2 if _match(sub.parts, (<str>self._topics[topic_id]).split("."), 0, 0) else 1
                sub.cache[topic_id] = hit
            if hit == 2:
                out.append(<object>PyList_GET_ITEM(self._items, slot))
                count += 1
            sub.cursor += 1
            slot += 1
            if slot == self.capacity:
                slot = 0
        return out, missed

    def subscribers(self):
        return len(self._subs)
