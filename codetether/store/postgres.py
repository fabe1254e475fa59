"""One PostgreSQL connection per store, and the versioned migrations every replica applies at start.

The store interfaces are synchronous (their SQLite twins run each statement inline on the event
loop, tens of microseconds each), so the PostgreSQL stores use psycopg 3's blocking connection the
same way: one round trip on loopback or a LAN costs about what a thread hop would. A lock makes the
connection safe to share between threads. Migrations are the ``migrations/NNNN_name.sql`` files of
this package, applied in order inside one transaction each, under an advisory lock so replicas
starting together apply each exactly once; ``schema_migrations`` records which ran.
"""

import contextlib
import re
import threading
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING

from ..errors import CodetetherError

if TYPE_CHECKING:
    import psycopg

MIGRATION_LOCK = 0x636F_6465_7465_7468  # "codeteth": one advisory lock id for every replica's migrations
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StoreError(CodetetherError):
    """The shared store could not be reached or used."""


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` of every packaged migration, in order."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text()))
    return sorted(found)


class Database:
    """A blocking connection (autocommit; :meth:`tx` for transactions) shared under a lock."""

    def __init__(self, url: str, *, application: str = "codetether") -> None:
        import psycopg

        if not is_postgres_url(url):
            raise StoreError(f"not a PostgreSQL URL: {_redact(url)}", "use postgresql://USER:PASSWORD@HOST:PORT/DB")
        try:
            self.conn: psycopg.Connection = psycopg.connect(
                url, autocommit=True, application_name=application, connect_timeout=10
            )
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the task store at {_redact(url)}: {str(exc).strip().splitlines()[0]}",
                "check [store] url and that the server is up",
            ) from exc
        self.lock = threading.RLock()
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations this database lacks; returns their names."""
        applied = []
        with self.tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
            for version, name, sql in migrations():
                if version not in done:
                    cur.execute(sql)
                    cur.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name))
                    applied.append(name)
        return applied

    @contextlib.contextmanager
    def tx(self) -> "Iterator[psycopg.Cursor]":
        with self.lock, self.conn.transaction(), self.conn.cursor() as cur:
            yield cur

    @contextlib.contextmanager
    def cursor(self) -> "Iterator[psycopg.Cursor]":
        with self.lock, self.conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _redact(url: str) -> str:
    """The URL without its password (it goes into error messages and logs)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
