"""The task store on PostgreSQL: tasks and push configs every ``serve`` replica shares.

It keeps :class:`~.store.SQLiteTaskStore`'s contract, down to the group commit: saves made while the
event loop runs are written together in one transaction ``GROUP_COMMIT_SECONDS`` later, reads
flush first, and a reply awaits :meth:`committed`, so what a client was told is in the database
(and on another replica's next read) even if this process is killed right after. Unlike the SQLite
store it keeps no per-process cache of which tasks have push configs: another replica may add one.
"""

import asyncio
import logging
import time

import msgspec

from ...store.postgres import Database
from .store import DEFAULT_PAGE_SIZE, GROUP_COMMIT_SECONDS, TaskPage, _decode_token, _encode_token
from .types import PushConfig, Task, TaskState

log = logging.getLogger(__name__)

_UPSERT = (
    "INSERT INTO tasks (id, context_id, state, updated_ns, body, owner, tenant) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (id) DO UPDATE SET context_id = excluded.context_id, state = excluded.state,"
    " updated_ns = excluded.updated_ns, body = excluded.body"
)


class PostgresTaskStore:
    """A :class:`~.store.TaskStore` on the database at ``url`` (schema from ``codetether.store``)."""

    def __init__(self, url: str) -> None:
        self._db = Database(url, application="codetether-tasks")
        self._encode = msgspec.json.Encoder().encode
        self._task = msgspec.json.Decoder(Task).decode
        self._config = msgspec.json.Decoder(PushConfig).decode
        self._last_ns = 0
        self._pending: dict[str, tuple] = {}
        self._flush_scheduled = False
        self._waiters: list[asyncio.Future] = []

    def _now_ns(self) -> int:
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        return self._last_ns

    def get(self, task_id: str) -> Task | None:
        self.flush()
        with self._db.cursor() as cur:
            row = cur.execute("SELECT body FROM tasks WHERE id = %s", (task_id,)).fetchone()
        return self._task(row[0]) if row else None

    def ownership(self, task_id: str) -> tuple[str, str] | None:
        pending = self._pending.get(task_id)
        if pending is not None and (pending[5] or pending[6]):
            return pending[5], pending[6]
        with self._db.cursor() as cur:
            row = cur.execute("SELECT owner, tenant FROM tasks WHERE id = %s", (task_id,)).fetchone()
        if row is None and pending is not None:
            return pending[5], pending[6]
        return (row[0], row[1]) if row else None

    def save(self, task: Task, owner: str = "", tenant: str = "") -> None:
        earlier = self._pending.get(task.id)
        if earlier is not None and not (owner or tenant):
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
        import psycopg

        try:
            self.flush()
        except psycopg.Error as exc:  # the rows are back in _pending: the next save or read retries them
            log.error("could not write %d task(s) to the task store (will retry): %s", len(self._pending), exc)
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
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
            with self._db.tx() as cur:
                cur.executemany(_UPSERT, list(pending.values()))
        except BaseException:
            self._pending = {**pending, **self._pending}
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
        where, args = ([], []) if tenant is None else (["tenant = %s"], [tenant])
        if owner is not None:
            where.append("owner = %s")
            args.append(owner)
        if context_id:
            where.append("context_id = %s")
            args.append(context_id)
        if state is not None and state is not TaskState.UNSPECIFIED:
            where.append("state = %s")
            args.append(state.value)
        if updated_after is not None:
            where.append("updated_ns > %s")
            args.append(min(max(int(updated_after * 1e9), -(2**63)), 2**63 - 1))
        self.flush()
        with self._db.tx() as cur:  # the count and the page from one snapshot
            total = cur.execute(
                "SELECT COUNT(*) FROM tasks" + (" WHERE " + " AND ".join(where) if where else ""), args
            ).fetchone()[0]
            if page_token:
                cursor_ns, cursor_id = _decode_token(page_token)
                where.append("(updated_ns < %s OR (updated_ns = %s AND id < %s))")
                args += [cursor_ns, cursor_ns, cursor_id]
            rows = cur.execute(
                "SELECT updated_ns, id, body FROM tasks"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY updated_ns DESC, id DESC LIMIT %s",
                [*args, page_size + 1],
            ).fetchall()
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = _encode_token(rows[-1][0], rows[-1][1]) if more else ""
        return TaskPage([self._task(row[2]) for row in rows], token, total)

    def put_push_config(self, config: PushConfig, version: str = "1.0") -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO push_configs (task_id, id, version, body) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (task_id, id) DO UPDATE SET version = excluded.version, body = excluded.body",
                (config.task_id, config.id, version, self._encode(config)),
            )

    def push_targets(self, task_id: str) -> list[tuple[PushConfig, str]]:
        with self._db.cursor() as cur:
            rows = cur.execute("SELECT body, version FROM push_configs WHERE task_id = %s", (task_id,)).fetchall()
        return [(self._config(row[0]), row[1]) for row in rows]

    def get_push_config(self, task_id: str, config_id: str) -> PushConfig | None:
        with self._db.cursor() as cur:
            row = cur.execute(
                "SELECT body FROM push_configs WHERE task_id = %s AND id = %s", (task_id, config_id)
            ).fetchone()
        return self._config(row[0]) if row else None

    def list_push_configs(self, task_id: str) -> list[PushConfig]:
        with self._db.cursor() as cur:
            rows = cur.execute("SELECT body FROM push_configs WHERE task_id = %s ORDER BY id", (task_id,)).fetchall()
        return [self._config(row[0]) for row in rows]

    def delete_push_config(self, task_id: str, config_id: str) -> bool:
        with self._db.cursor() as cur:
            cur.execute("DELETE FROM push_configs WHERE task_id = %s AND id = %s", (task_id, config_id))
            return cur.rowcount > 0

    def close(self) -> None:
        self.flush()
        self._db.close()
