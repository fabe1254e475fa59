"""The task store on PostgreSQL: tasks and push configs every ``serve`` replica shares.

It keeps :class:`~.store.SQLiteTaskStore`'s contract, down to the group commit: saves made while the
event loop runs are written together in one transaction ``GROUP_COMMIT_SECONDS`` later, reads
flush first, and a reply awaits :meth:`committed`, so what a client was told is in the database
(and on another replica's next read) even if this process is killed right after. Unlike the SQLite
store it keeps no per-process cache of which tasks have push configs: another replica may add one.
"""

from ...store.postgres import Database
from .task_rows import GroupCommitStore
from .types import PushConfig, Task

_UPSERT = (
    "INSERT INTO tasks (id, context_id, state, updated_ns, body, owner, tenant) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (id) DO UPDATE SET context_id = excluded.context_id, state = excluded.state,"
    " updated_ns = excluded.updated_ns, body = excluded.body"
)


class PostgresTaskStore(GroupCommitStore):
    """A :class:`~.store.TaskStore` on the database at ``url`` (schema from ``codetether.store``)."""

    _mark = "%s"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._db = Database(url, application="codetether-tasks")

    def get(self, task_id: str) -> Task | None:
        self.flush()
        with self._db.cursor() as cur:
            row = cur.execute("SELECT body FROM tasks WHERE id = %s", (task_id,)).fetchone()
        return self._task(row[0]) if row else None

    def _stored_ownership(self, task_id: str) -> tuple[str, str] | None:
        with self._db.cursor() as cur:
            row = cur.execute("SELECT owner, tenant FROM tasks WHERE id = %s", (task_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def _write_error(self) -> type[Exception]:
        import psycopg

        return psycopg.Error

    def _write(self, rows: list[tuple]) -> None:
        with self._db.tx() as cur:
            cur.executemany(_UPSERT, rows)

    def _count_and_page(
        self, count_sql: str, count_args: list, page_sql: str, page_args: list
    ) -> tuple[int, list[tuple]]:
        with self._db.tx() as cur:  # the count and the page from one snapshot
            total = cur.execute(count_sql, count_args).fetchone()[0]
            return total, cur.execute(page_sql, page_args).fetchall()

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
