"""The bus routing core, against both twins, plus a property test that they agree."""

import importlib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import compiled_expected


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("task.*", "task.42", True),
        ("task.*", "task.42.status", False),
        ("task.*", "task", False),
        ("agent.*.events", "agent.a1.events", True),
        ("agent.*.events", "agent.a1.inbox", False),
        ("swarm.#", "swarm", True),
        ("swarm.#", "swarm.s1", True),
        ("swarm.#", "swarm.s1.stage.2", True),
        ("swarm.#", "swarms.s1", False),
        ("#", "anything.at.all", True),
        ("#.events", "agent.a.events", True),
        ("a.#.z", "a.z", True),
        ("a.#.z", "a.b.c.z", True),
        ("a.#.z", "a.b.c", False),
        ("broadcast", "broadcast", True),
        ("broadcast", "broadcast.x", False),
    ],
)
def test_topic_matching(ringbus, pattern, topic, expected):
    assert ringbus.topic_matches(pattern, topic) is expected


def test_ordering_and_routing(ringbus):
    bus = ringbus.RingBus(16)
    tasks = bus.subscribe("task.*")
    everything = bus.subscribe("#")
    for i in range(5):
        bus.publish(f"task.{i}", ("task", i))
        bus.publish(f"agent.{i}.events", ("agent", i))
    items, missed = bus.poll(tasks)
    assert missed == 0 and items == [("task", i) for i in range(5)]
    items, _ = bus.poll(everything)
    assert len(items) == 10 and items[:2] == [("task", 0), ("agent", 0)]
    assert bus.poll(tasks) == ([], 0)


def test_one_item_stored_once_and_shared(ringbus):
    bus = ringbus.RingBus(8)
    subs = [bus.subscribe("results.*") for _ in range(3)]
    payload = {"big": "x" * 1000}
    bus.publish("results.k", payload)
    received = [bus.poll(s)[0][0] for s in subs]
    assert all(r is payload for r in received)  # no per-subscriber copy


def test_subscriber_sees_only_what_comes_after_it(ringbus):
    bus = ringbus.RingBus(8)
    bus.publish("broadcast", 1)
    sid = bus.subscribe("broadcast")
    bus.publish("broadcast", 2)
    assert bus.poll(sid) == ([2], 0)


def test_lagging_subscriber_is_told_what_it_missed(ringbus):
    bus = ringbus.RingBus(4)
    slow = bus.subscribe("#")
    for i in range(10):
        assert bus.publish("t.x", i) == i
    assert bus.pending(slow) == 4
    items, missed = bus.poll(slow)
    assert missed == 6 and items == [6, 7, 8, 9]
    bus.publish("t.x", 10)
    assert bus.poll(slow) == ([10], 0)


def test_wrap_around_many_times(ringbus):
    bus = ringbus.RingBus(3)
    sid = bus.subscribe("a.*")
    seen = []
    for i in range(100):
        bus.publish("a.b" if i % 2 else "c.d", i)
        if i % 2:
            seen += bus.poll(sid)[0]
    assert seen == list(range(1, 100, 2)) and bus.head == 100


def test_limit_and_many_subscribers(ringbus):
    bus = ringbus.RingBus(1024)
    sids = [bus.subscribe("agent.*.events" if i % 2 else "swarm.#") for i in range(64)]
    for i in range(200):
        bus.publish(f"agent.{i % 7}.events", i)
        bus.publish(f"swarm.s.{i % 3}", -i)
    for n, sid in enumerate(sids):
        first, _ = bus.poll(sid, 10)
        rest, _ = bus.poll(sid)
        expected = list(range(200)) if n % 2 else [-i for i in range(200)]
        assert first + rest == expected
    assert bus.subscribers() == 64
    bus.unsubscribe(sids[0])
    assert bus.subscribers() == 63
    with pytest.raises(KeyError):
        bus.poll(sids[0])


@pytest.mark.parametrize("topic", ["", "a..b", "a.*", "task.#", ".a"])
def test_bad_topics(ringbus, topic):
    with pytest.raises(ValueError, match="invalid topic"):
        ringbus.RingBus(4).publish(topic, 1)


@pytest.mark.parametrize("pattern", ["", "a..b", "a.b*", "ta#sk.x"])
def test_bad_patterns(ringbus, pattern):
    with pytest.raises(ValueError, match="invalid pattern"):
        ringbus.RingBus(4).subscribe(pattern)


def test_bad_types_and_capacity(ringbus):
    with pytest.raises(TypeError):
        ringbus.RingBus(4).publish(None, 1)
    with pytest.raises(TypeError):
        ringbus.RingBus(4).subscribe(5)
    with pytest.raises(ValueError, match="capacity"):
        ringbus.RingBus(0)


_segments = st.sampled_from(["a", "b", "task", "agent", "events"])
_topics = st.lists(_segments, min_size=1, max_size=4).map(".".join)
_patterns = st.lists(st.one_of(_segments, st.just("*"), st.just("#")), min_size=1, max_size=4).map(".".join)
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), _topics),
        st.tuples(st.just("subscribe"), _patterns),
        st.tuples(st.just("poll"), st.integers(0, 5), st.integers(-1, 4)),
        st.tuples(st.just("unsubscribe"), st.integers(0, 5)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(ops=_ops, capacity=st.integers(1, 8))
def test_twins_agree_on_any_sequence(ops, capacity):
    py = importlib.import_module("ctcore._ringbus_py")
    try:
        c = importlib.import_module("ctcore._ringbus_c")
    except ImportError:
        if compiled_expected():
            raise
        pytest.skip("compiled ringbus not built")
    buses = [py.RingBus(capacity), c.RingBus(capacity)]
    sids: list[list[int]] = [[], []]
    for counter, op in enumerate(ops):
        results = []
        for bus, ids in zip(buses, sids, strict=True):
            if op[0] == "publish":
                results.append(bus.publish(op[1], counter))
            elif op[0] == "subscribe":
                ids.append(bus.subscribe(op[1]))
                results.append(len(ids))
            elif op[0] == "poll":
                if ids:
                    results.append(bus.poll(ids[op[1] % len(ids)], op[2]))
            elif ids:
                bus.unsubscribe(ids.pop(op[1] % len(ids)))
        assert len(set(map(repr, results))) <= 1, (op, results)
    for a, b in zip(*sids, strict=True):
        assert buses[0].poll(a) == buses[1].poll(b)


def test_canary_compiled_ringbus_loaded_where_it_should():
    import ctcore.ringbus as selected

    if os.environ.get("CODETETHER_NO_EXTENSIONS"):
        assert selected.IMPLEMENTATION == "python"
        return
    package_dir = Path(selected.__file__).parent
    if any(package_dir.glob("_ringbus_c.*.so")) or compiled_expected():
        assert selected.IMPLEMENTATION == "c", "ctcore._ringbus_c exists or is required but did not load"
    else:
        pytest.skip("no compiled ringbus in this install")
