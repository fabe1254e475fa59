"""The worker queue's rules on both stores (SQLite and a real PostgreSQL), and claims across replicas."""

import random
import threading

import pytest

from codetether.worker.store import SQLiteQueueStore, WorkerRecord
from codetether.worker.store_pg import PostgresQueueStore
from codetether.worker.types import WorkItem


def item(task_id: str) -> WorkItem:
    return WorkItem(task_id=task_id, context_id="c", prompt=f"do {task_id}")


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request, tmp_path):
    """``open_store()``: another connection to the same queue (each a replica's, or a process's)."""
    if request.param == "sqlite":
        path = tmp_path / "q.sqlite3"
        opened = []

        def make():
            opened.append(SQLiteQueueStore(path, busy_timeout=30))
            return opened[-1]
    else:
        url = request.getfixturevalue("pg_url")
        opened = []

        def make():
            opened.append(PostgresQueueStore(url))
            return opened[-1]

    yield make
    for store in opened:
        store.close()


def test_expired_lease_requeues_and_the_old_holder_loses_the_task(open_store):
    store = open_store()
    first = store.enqueue(item("t1"), "admin", 1.0)
    assert store.claim("t1", "w1", lease_until=10.0) is not None
    assert store.claim("t1", "w2", lease_until=10.0) is None
    assert store.expire(now=5.0) == []
    [(task_id, former, seq)] = store.expire(now=11.0)
    assert (task_id, former) == ("t1", "w1") and seq == first + 1
    assert not store.finish("t1", "w1")
    won = store.claim("t1", "w2", 50.0)
    assert won is not None and won.attempts == 2 and won.worker_id == "w2" and won.prompt == "do t1"
    assert store.finish("t1", "w2")
    assert store.holder("t1") == ("done", "w2")


def test_heartbeat_extends_only_the_workers_own_leases(open_store):
    store = open_store()
    for name in ("w1", "w2"):
        store.add_worker(WorkerRecord(worker_id=name, name=name, owner="admin", registered_at=0, last_seen=0), name)
    assert store.worker_by_token("w1").worker_id == "w1" and store.get_worker("w2").name == "w2"
    assert [w.worker_id for w in store.list_workers()] == ["w1", "w2"]
    store.enqueue(item("a"), "admin", 1.0)
    store.enqueue(item("b"), "admin", 1.0)
    store.claim("a", "w1", 10.0)
    store.claim("b", "w2", 10.0)
    assert store.held_by("w1") == ["a"]
    assert store.held_counts() == {"w1": 1, "w2": 1}
    assert store.touch_worker("w1", {"load": 1}, 9.0, 100.0) == 1
    assert store.get_worker("w1").info == {"load": 1} and store.get_worker("w1").last_seen == 9.0
    assert [t for t, _, _ in store.expire(now=20.0)] == ["b"]
    assert store.touch_worker("nobody", {}, 9.0, 100.0) == -1


def test_give_back_drop_and_event_window(open_store):
    store = open_store()
    assert store.event_bounds() == (1, 0)
    for n in range(5):
        store.enqueue(item(f"t{n}"), "admin", 1.0)
    store.claim("t0", "w1", 10.0)
    assert store.give_back("t0", "w1", 2.0) == 6
    assert store.give_back("t0", "w1", 2.0) is None
    assert [e.task.task_id for e in store.events_after(4, 10)] == ["t4", "t0"]
    store.prune_events(keep=2)
    assert store.event_bounds() == (5, 6)
    assert [i.task_id for i in store.pending(10)] == ["t0", "t1", "t2", "t3", "t4"]
    store.claim("t1", "w9", 10.0)
    assert store.drop("t1") == "w9" and store.drop("t2") == "" and store.holder("t2") == ("done", "")
    assert store.abandon_open() == 3  # t0, t3, t4
    assert store.pending(10) == []


def test_a_second_connection_sees_every_change(open_store):
    a, b = open_store(), open_store()
    a.enqueue(item("t"), "admin", 1.0)
    assert [i.task_id for i in b.pending(5)] == ["t"]
    assert b.claim("t", "w", 5.0) is not None
    assert a.claim("t", "w2", 5.0) is None and a.holder("t") == ("claimed", "w")


def test_200_tasks_claimed_concurrently_from_two_replicas_have_one_winner_each(open_store):
    tasks = [f"t{n:03d}" for n in range(200)]
    seed = open_store()
    for task in tasks:
        seed.enqueue(item(task), "admin", 1.0)
    # Two replicas, four claimers on each, every claimer with its own connection, all racing for every task.
    claimers = [(replica, open_store()) for replica in ("a", "b") for _ in range(4)]
    start = threading.Barrier(len(claimers))
    wins: list[list[str]] = [[] for _ in claimers]

    def claim_all(index: int) -> None:
        replica, store = claimers[index]
        order = tasks[:]
        random.Random(index).shuffle(order)
        start.wait()
        for task in order:
            if store.claim(task, f"{replica}{index}", 100.0) is not None:
                wins[index].append(task)

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(len(claimers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [task for w in wins for task in w]
    assert sorted(won) == tasks  # every task won, none twice
    for index, (replica, _) in enumerate(claimers):
        for task in wins[index]:
            assert seed.holder(task) == ("claimed", f"{replica}{index}")
