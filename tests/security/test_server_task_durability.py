"""The task store's commits are synced at every commit (SQLite ``synchronous=FULL``), so a task a client was
told about survives power loss, not only a killed server; NORMAL stays available to trade that for speed."""

import pytest

from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.a2a.domain.types import Task, TaskState, TaskStatus

FULL, NORMAL = 2, 1  # PRAGMA synchronous values


def synchronous(store: SQLiteTaskStore) -> int:
    return store._db.execute("PRAGMA synchronous").fetchone()[0]  # a per-connection setting: ask the store's own


def test_the_task_store_syncs_every_commit_by_default(tmp_path):
    store = SQLiteTaskStore(tmp_path / "tasks.sqlite3")
    try:
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert synchronous(store) == FULL
        store.save(Task(id="t1", context_id="c", status=TaskStatus(state=TaskState.COMPLETED)))
        assert store.get("t1").status.state is TaskState.COMPLETED
    finally:
        store.close()


def test_normal_can_be_chosen_and_nothing_else(tmp_path):
    store = SQLiteTaskStore(tmp_path / "tasks.sqlite3", synchronous="NORMAL")
    try:
        assert synchronous(store) == NORMAL
    finally:
        store.close()
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        SQLiteTaskStore(tmp_path / "other.sqlite3", synchronous="OFF; DROP TABLE tasks")
