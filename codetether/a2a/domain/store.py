"""Where tasks and their push configs live: an interface, and SQLite behind it by default.

The store is the single source of truth shared by every transport; tasks written here survive a
restart. SQLite calls run inline on the event loop on purpose: each is one indexed statement in WAL
mode (tens of microseconds), cheaper than the thread hop that ``to_thread`` would add to every
request. Saves made while the event loop runs are group-committed: they are encoded at once and
written together in one transaction ``GROUP_COMMIT_SECONDS`` later, so under load one commit
carries many tasks. Every read flushes first, and a reply to a client first awaits
:meth:`committed`: what a client was told is on disk, even if the process is killed right after, and
(with ``synchronous=FULL``, the default) even if the machine loses power.
A store backed by a shared database can replace it for several replicas.
"""

import contextlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

from ...paths import create_private_file, ensure_private_dir
from .task_rows import DEFAULT_PAGE_SIZE, GroupCommitStore, TaskPage
from .types import PushConfig, Task, TaskState

MAX_PAGE_SIZE = 100


class TaskStore(Protocol):
    """Persistence for tasks and push-notification configs."""

    def get(self, task_id: str) -> Task | None: ...

    def ownership(self, task_id: str) -> tuple[str, str] | None:
        """``(owner, tenant)`` the task was created with, or ``None`` if there is no such task."""

    def save(self, task: Task, owner: str = "", tenant: str = "") -> None:
        """Insert or update the task; its position in listings becomes "most recently updated".
        ``owner`` (the creating principal) and ``tenant`` are kept from the first save: they never change."""

    async def committed(self) -> None:
        """Return once every save made so far is durable (what a reply to the client waits for)."""

    def list_tasks(
        self,
        *,
        context_id: str = "",
        state: TaskState | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
        updated_after: float | None = None,
        owner: str | None = None,
        tenant: str | None = "",
    ) -> TaskPage:
        """``owner``: only that principal's tasks (``None``: everyone's); ``tenant``: only that tenant's
        (``None``: every tenant's)."""

    def put_push_config(self, config: PushConfig, version: str = "1.0") -> None:
        """Store ``config``; ``version`` is the spec version of the client that registered it."""

    def push_targets(self, task_id: str) -> list[tuple[PushConfig, str]]:
        """Each config of the task with the spec version its updates must be sent in."""

    def get_push_config(self, task_id: str, config_id: str) -> PushConfig | None: ...

    def list_push_configs(self, task_id: str) -> list[PushConfig]: ...

    def delete_push_config(self, task_id: str, config_id: str) -> bool: ...

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    context_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_ns INTEGER NOT NULL,
    body BLOB NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    tenant TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tasks_by_update ON tasks (updated_ns DESC, id DESC);
CREATE INDEX IF NOT EXISTS tasks_by_context ON tasks (context_id, updated_ns DESC);
CREATE TABLE IF NOT EXISTS push_configs (
    task_id TEXT NOT NULL,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (task_id, id)
);
"""


def _private_database(path: Path) -> None:
    """Task history is the user's: the database is made 0600 before SQLite opens it, because SQLite
    creates its ``-wal`` and ``-shm`` files with the database file's mode (``os_unix.c``,
    ``findCreateFileMode``); ones an older version left readable are tightened too."""
    ensure_private_dir(path.parent)
    create_private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", 0o600)


class SQLiteTaskStore(GroupCommitStore):
    """The default :class:`TaskStore`: one SQLite file (or ``:memory:``)."""

    def __init__(self, path: Path | str, *, synchronous: str = "FULL") -> None:
        """``synchronous``: SQLite's setting for the group commits. ``FULL`` (the default) syncs the WAL at
        each commit, so a task a client was told about survives power loss or an OS crash, not only a
        killed process; ``NORMAL`` syncs only at checkpoints, and the last commits can roll back when
        the machine (not the process) goes down. bench/a2a_throughput.py measures the difference."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        super().__init__()
        if str(path) != ":memory:":
            _private_database(Path(path))
        # A short busy timeout: these calls run on the event loop, which must not stall for SQLite's
        # default 5 s behind another writer (one server owns the file; see Peer's data-dir lock).
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=0.5)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tasks)")}
        for column in ("owner", "tenant") if "owner" not in columns else ():  # a store from before ownership
            self._db.execute(f"ALTER TABLE tasks ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
        self._db.execute("CREATE INDEX IF NOT EXISTS tasks_by_owner ON tasks (owner, tenant, updated_ns DESC, id DESC)")
        self._lock = threading.Lock()  # the connection is shared; the A2A client may use it from threads
        # Tasks that have push configs: most have none, and every update asks.
        self._push_tasks = {row[0] for row in self._db.execute("SELECT DISTINCT task_id FROM push_configs")}

    def get(self, task_id: str) -> Task | None:
        self.flush()
        with self._lock:
            row = self._db.execute("SELECT body FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return self._task(row[0]) if row else None

    def _stored_ownership(self, task_id: str) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute("SELECT owner, tenant FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def _write_error(self) -> type[Exception]:
        return sqlite3.Error

    def _write(self, rows: list[tuple]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO tasks (id, context_id, state, updated_ns, body, owner, tenant)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET context_id = excluded.context_id,"
                    " state = excluded.state, updated_ns = excluded.updated_ns, body = excluded.body",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _count_and_page(
        self, count_sql: str, count_args: list, page_sql: str, page_args: list
    ) -> tuple[int, list[tuple]]:
        with self._lock:
            total = self._db.execute(count_sql, count_args).fetchone()[0]
            return total, self._db.execute(page_sql, page_args).fetchall()

    def put_push_config(self, config: PushConfig, version: str = "1.0") -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO push_configs (task_id, id, version, body) VALUES (?, ?, ?, ?)",
                (config.task_id, config.id, version, self._encode(config)),
            )
            self._push_tasks.add(config.task_id)

    def push_targets(self, task_id: str) -> list[tuple[PushConfig, str]]:
        if task_id not in self._push_tasks:
            return []
        with self._lock:
            rows = self._db.execute("SELECT body, version FROM push_configs WHERE task_id = ?", (task_id,))
            return [(self._config(row[0]), row[1]) for row in rows.fetchall()]

    def get_push_config(self, task_id: str, config_id: str) -> PushConfig | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM push_configs WHERE task_id = ? AND id = ?", (task_id, config_id)
            ).fetchone()
        return self._config(row[0]) if row else None

    def list_push_configs(self, task_id: str) -> list[PushConfig]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM push_configs WHERE task_id = ? ORDER BY id", (task_id,))
            return [self._config(row[0]) for row in rows.fetchall()]

    def delete_push_config(self, task_id: str, config_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM push_configs WHERE task_id = ? AND id = ?", (task_id, config_id))
            if not self._db.execute("SELECT 1 FROM push_configs WHERE task_id = ? LIMIT 1", (task_id,)).fetchone():
                self._push_tasks.discard(task_id)
        return cursor.rowcount > 0

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()
