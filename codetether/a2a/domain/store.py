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

import asyncio
import base64
import contextlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

import msgspec

from ...paths import create_private_file, ensure_private_dir
from .errors import InvalidParamsError
from .types import PushConfig, Task, TaskState

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
# Saves gather this long before one transaction writes them all: under load a commit then carries
# the tasks of several requests (a transaction costs tens of microseconds of the event loop's time);
# replies wait for it, so this is also the most it adds to a reply's latency.
GROUP_COMMIT_SECONDS = 0.001

DEFAULT_PAGE_SIZE = 50


class TaskPage(msgspec.Struct):
    tasks: list[Task]
    next_page_token: str
    total_size: int


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


def _encode_token(updated_ns: int, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{updated_ns}:{task_id}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        updated_ns, _, task_id = raw.partition(":")
        if not 0 <= int(updated_ns) < 2**63:  # SQLite's INTEGER range; we only issue positive ones
            raise ValueError("out of range")
        return int(updated_ns), task_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParamsError(f"pageToken {token!r} is not a token this server issued") from exc


def _private_database(path: Path) -> None:
    """Task history is the user's: the database is made 0600 before SQLite opens it, because SQLite
    creates its ``-wal`` and ``-shm`` files with the database file's mode (``os_unix.c``,
    ``findCreateFileMode``); ones an older version left readable are tightened too."""
    ensure_private_dir(path.parent)
    create_private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", 0o600)


class SQLiteTaskStore:
    """The default :class:`TaskStore`: one SQLite file (or ``:memory:``)."""

    def __init__(self, path: Path | str, *, synchronous: str = "FULL") -> None:
        """``synchronous``: SQLite's setting for the group commits. ``FULL`` (the default) syncs the WAL at
        each commit, so a task a client was told about survives power loss or an OS crash, not only a
        killed process; ``NORMAL`` syncs only at checkpoints, and the last commits can roll back when
        the machine (not the process) goes down. bench/a2a_throughput.py measures the difference."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
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
        self._encode = msgspec.json.Encoder().encode
        self._task = msgspec.json.Decoder(Task).decode
        self._config = msgspec.json.Decoder(PushConfig).decode
        self._last_ns = 0
        self._pending: dict[str, tuple] = {}
        self._flush_scheduled = False
        self._waiters: list[asyncio.Future] = []  # replies waiting for the pending saves to commit
        # Tasks that have push configs: most have none, and every update asks.
        self._push_tasks = {row[0] for row in self._db.execute("SELECT DISTINCT task_id FROM push_configs")}

    def _now_ns(self) -> int:
        # Strictly increasing, so two saves in the same clock tick still order (and page) correctly.
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        return self._last_ns

    def get(self, task_id: str) -> Task | None:
        self.flush()
        with self._lock:
            row = self._db.execute("SELECT body FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return self._task(row[0]) if row else None

    def ownership(self, task_id: str) -> tuple[str, str] | None:
        pending = self._pending.get(task_id)
        if pending is not None and (pending[5] or pending[6]):
            return pending[5], pending[6]
        with self._lock:
            row = self._db.execute("SELECT owner, tenant FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None and pending is not None:
            return pending[5], pending[6]
        return (row[0], row[1]) if row else None

    def save(self, task: Task, owner: str = "", tenant: str = "") -> None:
        earlier = self._pending.get(task.id)
        if earlier is not None and not (owner or tenant):  # a later save in the same batch keeps the owner
            owner, tenant = earlier[5], earlier[6]
        row = (task.id, task.context_id, task.status.state.value, self._now_ns(), self._encode(task), owner, tenant)
        self._pending[task.id] = row
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_scheduled = True
        loop.call_later(GROUP_COMMIT_SECONDS, self._flush_soon)

    def _flush_soon(self) -> None:
        try:
            self.flush()
        except sqlite3.Error as exc:  # the rows are back in _pending: the next save or read retries them
            log.error("could not write %d task(s) to the task store (will retry): %s", len(self._pending), exc)
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:  # their replies must not claim what is not on disk
                if not waiter.done():
                    waiter.set_exception(exc)

    async def committed(self) -> None:
        if not self._pending:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    def flush(self) -> None:
        """Write every pending save in one transaction."""
        self._flush_scheduled = False
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            with self._lock:
                self._db.execute("BEGIN")
                try:
                    self._db.executemany(
                        "INSERT INTO tasks (id, context_id, state, updated_ns, body, owner, tenant)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET context_id = excluded.context_id,"
                        " state = excluded.state, updated_ns = excluded.updated_ns, body = excluded.body",
                        list(pending.values()),
                    )
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except BaseException:
            self._pending = {**pending, **self._pending}  # keep them; saves made since are newer and win
            raise
        if not self._pending:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

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
        where, args = ([], []) if tenant is None else (["tenant = ?"], [tenant])
        if owner is not None:
            where.append("owner = ?")
            args.append(owner)
        if context_id:
            where.append("context_id = ?")
            args.append(context_id)
        if state is not None and state is not TaskState.UNSPECIFIED:
            where.append("state = ?")
            args.append(state.value)
        if updated_after is not None:
            where.append("updated_ns > ?")
            args.append(min(max(int(updated_after * 1e9), -(2**63)), 2**63 - 1))  # SQLite's INTEGER range
        self.flush()
        with self._lock:
            total = self._db.execute(
                "SELECT COUNT(*) FROM tasks" + (" WHERE " + " AND ".join(where) if where else ""), args
            ).fetchone()[0]
            if page_token:
                cursor_ns, cursor_id = _decode_token(page_token)
                where.append("(updated_ns < ? OR (updated_ns = ? AND id < ?))")
                args += [cursor_ns, cursor_ns, cursor_id]
            rows = self._db.execute(
                "SELECT updated_ns, id, body FROM tasks"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY updated_ns DESC, id DESC LIMIT ?",
                [*args, page_size + 1],
            ).fetchall()
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = _encode_token(rows[-1][0], rows[-1][1]) if more else ""
        return TaskPage([self._task(row[2]) for row in rows], token, total)

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
