"""The queue store's exactly-once rules, on a real SQLite file shared by many connections."""

import threading
from pathlib import Path

from codetether.worker.store import SQLiteQueueStore, WorkerRecord
from codetether.worker.types import WorkItem


def item(task_id: str) -> WorkItem:
    return WorkItem(task_id=task_id, context_id="c", prompt=f"do {task_id}")


def test_hundred_claims_of_one_task_from_separate_connections_have_one_winner(tmp_path: Path):
    path = tmp_path / "queue.sqlite3"
    SQLiteQueueStore(path).enqueue(item("t1"), "admin", 1.0)
    # One connection per claimer, as separate processes or replicas would have: no shared Python lock.
    stores = [SQLiteQueueStore(path, busy_timeout=30) for _ in range(100)]
    start = threading.Barrier(100)
    results: list[str | None] = [None] * 100

    def claim(index: int) -> None:
        start.wait()
        won = stores[index].claim("t1", f"w{index}", 100.0)
        results[index] = won.worker_id if won else None

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert stores[0].holder("t1") == ("claimed", winners[0])


def test_expired_lease_requeues_with_a_new_event_and_the_old_holder_loses_the_task(tmp_path: Path):
    store = SQLiteQueueStore(tmp_path / "q.sqlite3")
    first = store.enqueue(item("t1"), "admin", 1.0)
    assert store.claim("t1", "w1", lease_until=10.0) is not None
    assert store.expire(now=5.0) == []
    [(task_id, former, seq)] = store.expire(now=11.0)
    assert (task_id, former) == ("t1", "w1") and seq == first + 1
    assert not store.finish("t1", "w1")  # the old holder can no longer finish it
    won = store.claim("t1", "w2", 50.0)
    assert won is not None and won.attempts == 2
    assert store.finish("t1", "w2")


def test_heartbeat_extends_only_the_workers_own_leases(tmp_path: Path):
    store = SQLiteQueueStore(tmp_path / "q.sqlite3")
    for name in ("w1", "w2"):
        store.add_worker(WorkerRecord(worker_id=name, name=name, owner="admin", registered_at=0, last_seen=0), name)
    store.enqueue(item("a"), "admin", 1.0)
    store.enqueue(item("b"), "admin", 1.0)
    store.claim("a", "w1", 10.0)
    store.claim("b", "w2", 10.0)
    assert store.touch_worker("w1", {}, 9.0, 100.0) == 1
    assert [t for t, _, _ in store.expire(now=20.0)] == ["b"]
    assert store.touch_worker("nobody", {}, 9.0, 100.0) == -1


def test_give_back_and_event_window(tmp_path: Path):
    store = SQLiteQueueStore(tmp_path / "q.sqlite3")
    assert store.event_bounds() == (1, 0)
    for n in range(5):
        store.enqueue(item(f"t{n}"), "admin", 1.0)
    store.claim("t0", "w1", 10.0)
    seq = store.give_back("t0", "w1", 2.0)
    assert seq == 6
    assert store.give_back("t0", "w1", 2.0) is None  # not held any more
    assert [e.task.task_id for e in store.events_after(4, 10)] == ["t4", "t0"]
    store.prune_events(keep=2)
    assert store.event_bounds() == (5, 6)
    assert [i.task_id for i in store.pending(10)] == ["t0", "t1", "t2", "t3", "t4"]
