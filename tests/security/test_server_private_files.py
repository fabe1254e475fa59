"""What `codetether serve` writes under the data dir is the user's alone: files 0600, directories 0700.

The server runs with a umask of 022 (the common default, which makes 0644 files and 0755 directories)
and a data dir whose parents do not exist yet; it writes tasks (SQLite with its WAL and shared-memory
files), the audit log, the generated token and its lock file.
"""

import os
import stat
import uuid
from pathlib import Path

import aiohttp
import pytest

from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.config.schema import A2ASection
from codetether.paths import ensure_private_dir
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from tests.a2a.executors import EchoExecutor


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    out = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            out[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return out


async def test_serve_leaves_every_file_0600_and_every_directory_it_made_0700(tmp_path, monkeypatch, umask_022):
    data = tmp_path / "srv" / "share" / "codetether-agent"
    monkeypatch.setenv("CODETETHER_DATA_DIR", str(data))
    monkeypatch.delenv("CODETETHER_AUTH_TOKEN", raising=False)
    auth = TokenAuth.from_environment(lambda _: None)
    token = (data / "auth-token").read_text().strip()
    peer = await Peer.start(A2ASection(port=0, grpc_port=0), EchoExecutor(), auth)
    try:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "SendMessage",
            "params": {"message": {"messageId": uuid.uuid4().hex, "role": "ROLE_USER", "parts": [{"text": "hi"}]}},
        }
        headers = {"Authorization": f"Bearer {token}", "A2A-Version": "1.0"}
        async with aiohttp.ClientSession() as session:
            async with session.post(peer.addresses.http_url + "/a2a", json=body, headers=headers) as response:
                assert "result" in await response.json()
            async with session.get(peer.addresses.http_url + "/v1/audit/events", headers=headers) as response:
                assert response.status == 200  # flushes the audit records of the call above to disk
        found = modes(tmp_path / "srv")
        assert {"share/codetether-agent/a2a/tasks.sqlite3-wal", "share/codetether-agent/a2a/tasks.sqlite3-shm"} <= set(
            found
        )
        assert "share/codetether-agent/audit/audit.jsonl" in found
        for name, mode in found.items():
            kind = "directory" if (tmp_path / "srv" / name).is_dir() else "file"
            assert mode == (0o700 if kind == "directory" else 0o600), f"{kind} {name} is {oct(mode)}"
        assert stat.S_IMODE((tmp_path / "srv").stat().st_mode) == 0o700
    finally:
        await peer.stop()


def test_a_task_store_an_older_version_left_readable_is_made_private(tmp_path, umask_022):
    path = tmp_path / "tasks.sqlite3"
    store = SQLiteTaskStore(path)
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").touch()
        os.chmod(f"{path}{suffix}", 0o644)
    store = SQLiteTaskStore(path)
    try:
        assert {suffix: stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode) for suffix in ("", "-wal", "-shm")} == {
            "": 0o600,
            "-wal": 0o600,
            "-shm": 0o600,
        }
    finally:
        store.close()


def test_ensure_private_dir_makes_each_missing_parent_0700_and_leaves_existing_ones(tmp_path, umask_022):
    os.chmod(tmp_path, 0o755)
    ensure_private_dir(tmp_path / "a" / "b" / "c")
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # not ours: left alone
    for path in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
