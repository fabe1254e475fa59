"""The SQLite task store: group-committed saves, reads that see them, restart durability.

The contract both stores keep (paging, filters, ownership, push configs) is tests/store/test_pg_task_store.py,
which runs on SQLite and on PostgreSQL.
"""

import asyncio

import pytest

from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.a2a.domain.types import Message, Part, Role, Task, TaskState, TaskStatus


def _task(task_id: str, context: str = "ctx", state: TaskState = TaskState.COMPLETED) -> Task:
    message = Message(message_id=f"m-{task_id}", role=Role.USER, parts=[Part(text=task_id)])
    return Task(id=task_id, context_id=context, status=TaskStatus(state=state), history=[message])


async def test_saves_inside_a_loop_are_visible_at_once_and_durable(tmp_path):
    path = tmp_path / "tasks.sqlite3"
    store = SQLiteTaskStore(path)
    for i in range(20):
        store.save(_task(f"t{i:02d}"))
    assert store.get("t05").history[0].parts[0].text == "t05"  # a read flushes the pending saves
    store.save(_task("late"))
    await store.committed()  # the end of this loop iteration commits it
    reopened = SQLiteTaskStore(path)
    assert reopened.get("late") is not None
    assert reopened.list_tasks(page_size=100).total_size == 21
    store.close()
    reopened.close()


def test_close_writes_what_is_pending(tmp_path):
    path = tmp_path / "tasks.sqlite3"

    async def save_then_close():
        store = SQLiteTaskStore(path)
        store.save(_task("a"))
        store.close()

    asyncio.run(save_then_close())
    assert SQLiteTaskStore(path).get("a") is not None


async def test_a_failed_group_commit_keeps_its_rows_for_the_next_try(tmp_path):
    import sqlite3

    path = tmp_path / "t.db"
    store = SQLiteTaskStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    store.save(_task("kept"))
    with pytest.raises(sqlite3.OperationalError):
        store.flush()
    other.execute("COMMIT")
    assert store.get("kept") is not None  # the read's flush wrote it this time
    store.close()


async def test_a_reply_waiting_on_a_commit_that_fails_is_told(tmp_path):
    import sqlite3

    path = tmp_path / "t.db"
    store = SQLiteTaskStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    store.save(_task("unlucky"))
    with pytest.raises(sqlite3.OperationalError):
        await store.committed()  # the reply must not claim the task is on disk
    other.execute("COMMIT")
    store.save(_task("lucky"))
    await store.committed()  # the retry carries both
    assert store.get("unlucky") is not None and store.get("lucky") is not None
    store.close()
