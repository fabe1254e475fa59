"""The task store's contract on SQLite and on a real PostgreSQL, and what PostgreSQL adds: replicas."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from codetether.a2a.domain import errors
from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.a2a.domain.store_pg import PostgresTaskStore
from codetether.a2a.domain.types import Message, Part, PushConfig, Role, Task, TaskState, TaskStatus
from codetether.store.postgres import Database, StoreError, migrations


def task(task_id: str, context: str = "ctx", state: TaskState = TaskState.COMPLETED) -> Task:
    message = Message(message_id=f"m-{task_id}", role=Role.USER, parts=[Part(text=task_id)])
    return Task(id=task_id, context_id=context, status=TaskStatus(state=state), history=[message])


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request, tmp_path):
    """``open_store()``: a store on the same data (for PostgreSQL, as another replica would open it)."""
    opened = []
    if request.param == "sqlite":

        def make():
            opened.append(SQLiteTaskStore(tmp_path / "tasks.sqlite3"))
            return opened[-1]
    else:
        url = request.getfixturevalue("pg_url")

        def make():
            opened.append(PostgresTaskStore(url))
            return opened[-1]

    yield make
    for store in opened:
        store.close()


async def test_saves_are_visible_at_once_and_committed(open_store):
    store = open_store()
    for i in range(20):
        store.save(task(f"t{i:02d}"))
    assert store.get("t05").history[0].parts[0].text == "t05"  # a read flushes the pending saves
    store.save(task("late"))
    await store.committed()
    other = open_store()
    assert other.get("late") is not None
    assert other.list_tasks(page_size=100).total_size == 21


def test_paging_is_newest_first_and_filters(open_store):
    store = open_store()
    for i in range(7):
        state = TaskState.WORKING if i == 3 else TaskState.COMPLETED
        store.save(task(f"t{i}", context="a" if i % 2 else "b", state=state))
    seen, token = [], ""
    while True:
        page = store.list_tasks(page_size=3, page_token=token)
        seen += [t.id for t in page.tasks]
        assert page.total_size == 7
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"t{i}" for i in reversed(range(7))]
    assert [t.id for t in store.list_tasks(context_id="a").tasks] == ["t5", "t3", "t1"]
    assert [t.id for t in store.list_tasks(state=TaskState.WORKING).tasks] == ["t3"]
    store.save(task("t0"))
    assert store.list_tasks(page_size=1).tasks[0].id == "t0"
    assert store.list_tasks(updated_after=4_000_000_000).tasks == []
    with pytest.raises(errors.InvalidParamsError, match="pageToken"):
        store.list_tasks(page_token="not-a-token!")


def test_owner_and_tenant_are_kept_from_the_first_save(open_store):
    store = open_store()
    store.save(task("mine"), owner="alice", tenant="acme")
    store.save(task("theirs"), owner="bob")
    store.flush()
    store.save(task("mine", state=TaskState.FAILED))  # a later save without owner keeps it
    assert store.ownership("mine") == ("alice", "acme")
    assert store.ownership("nope") is None
    assert [t.id for t in store.list_tasks(owner="alice", tenant="acme").tasks] == ["mine"]
    assert [t.id for t in store.list_tasks(tenant="").tasks] == ["theirs"]
    assert {t.id for t in store.list_tasks(tenant=None).tasks} == {"mine", "theirs"}
    assert open_store().get("mine").status.state == TaskState.FAILED


def test_push_configs_keep_the_version_they_were_registered_in(open_store):
    store = open_store()
    store.put_push_config(PushConfig(url="https://example.com/a", id="a", task_id="t"), "0.3")
    store.put_push_config(PushConfig(url="https://example.com/b", id="b", task_id="t"))
    other = open_store()  # another replica delivers updates for a config this one registered
    assert sorted((c.id, v) for c, v in other.push_targets("t")) == [("a", "0.3"), ("b", "1.0")]
    assert [c.id for c in other.list_push_configs("t")] == ["a", "b"]
    assert other.get_push_config("t", "b").url == "https://example.com/b"
    assert other.delete_push_config("t", "a") and not store.delete_push_config("t", "a")
    assert store.get_push_config("t", "a") is None and store.push_targets("t")[0][0].id == "b"


def test_migrations_are_versioned_and_applied_once(pg_url):
    names = [name for _, name, _ in migrations()]
    assert names == sorted(names) and names[0].startswith("0001_")
    first, second = Database(pg_url), Database(pg_url)  # two replicas starting on one database
    with first.cursor() as cur:
        rows = cur.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [name for _, name in rows] == names
    assert second.migrate() == []
    first.close()
    second.close()


def test_a_bad_url_is_a_clear_error_without_the_password(postgres_server):
    url = f"postgresql://postgres:s3cret@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(StoreError) as raised:
        PostgresTaskStore(url)
    assert "cannot connect" in str(raised.value) and "s3cret" not in str(raised.value)
    with pytest.raises(StoreError, match="not a PostgreSQL URL"):
        PostgresTaskStore("mysql://x")


def test_an_acknowledged_task_survives_kill_9(pg_url):
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from codetether.a2a.domain.store_pg import PostgresTaskStore
        from tests.store.test_pg_task_store import task

        async def main():
            store = PostgresTaskStore({pg_url!r})
            store.save(task("acked"))
            await store.committed()
            print("committed", flush=True)
            store.save(task("never-acked"))  # pending for a millisecond: the kill may or may not beat it
            await asyncio.Event().wait()

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout.readline().strip() == "committed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    store = PostgresTaskStore(pg_url)
    assert store.get("acked") is not None
    store.close()
