"""A real PostgreSQL server for tests: a temporary data directory, a loopback port, stopped at the end.

The binaries come from PATH or Debian's ``/usr/lib/postgresql/<version>/bin`` (``.ci/run`` installs
the ``postgresql`` package when neither has them). PostgreSQL refuses to run as root, so under root
the server runs as the ``postgres`` user the package creates.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


def missing_reason() -> str | None:
    """Why no server can start here, or None."""
    for name in ("initdb", "postgres"):
        if find_binary(name) is None:
            return f"PostgreSQL is not installed (no {name}); `.ci/run` installs the Debian package postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """``root`` defaults to a new directory in the system temp dir: the server's user (``postgres``
    under root) must be able to reach it, and pytest's own temp dirs are private to root."""

    def __init__(self, root: Path | None = None, *, fsync: bool = False) -> None:
        self.owns_root = root is None
        self.root = root or Path(tempfile.mkdtemp(prefix="codetether-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.fsync = fsync
        self.proc: subprocess.Popen | None = None
        # Under root the server runs as postgres (the processes themselves, so signals reach them).
        self._as: dict = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self._as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 60.0) -> "PostgresServer":
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as:
            os.chown(self.root, self._as["user"], self._as["group"])
        subprocess.run(
            [find_binary("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            cwd=self.root,
            **self._as,
        )
        options = ["-c", f"fsync={'on' if self.fsync else 'off'}", "-c", "max_connections=300"]
        options += ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}"]
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - the server's stdout for its whole life
        self.proc = subprocess.Popen(
            [find_binary("postgres"), "-D", str(self.data), "-p", str(self.port), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.root,
            **self._as,
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.admin_url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"postgres did not start:\n{(self.root / 'server.log').read_text()}") from None
                time.sleep(0.05)  # polling a starting server: there is no event to wait on

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: "fast" shutdown (SIGTERM's "smart" one waits for clients)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.owns_root:
            shutil.rmtree(self.root, ignore_errors=True)
