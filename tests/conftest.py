"""Shared fixtures: every test runs with its own HOME, XDG dirs and a clean credential environment."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from codetether.secrets.env import ENV_VARS

_CLEARED_PREFIXES = ("CODETETHER_", "VAULT_", "XDG_")
_KEEP = {"CODETETHER_NO_EXTENSIONS", "CODETETHER_EXPECT_EXTENSIONS", "CODETETHER_UPDATE_SNAPSHOTS"}


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME with XDG dirs, and no credentials or settings leaking in from the host."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) and name not in _KEEP:
            monkeypatch.delenv(name)
    for names in ENV_VARS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli():
    """Run the real CLI in a subprocess: ``cli("config", "--show", input="...", env={...})``."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None):
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "codetether", *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            cwd=cwd,
            timeout=60,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def data_dir(isolated_env: Path) -> Path:
    return isolated_env / ".local" / "share" / "codetether-agent"


@pytest.fixture
def config_file(isolated_env: Path) -> Path:
    return isolated_env / ".config" / "codetether-agent" / "config.toml"


@pytest.fixture
async def llm():
    """The fake LLM server on loopback; at the end, every request it got must have kept the invariants."""
    from tests.fakes.llm import FakeLLM

    server = await FakeLLM().start()
    yield server
    await server.stop()
    assert server.violations == [], server.violations


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A git repository with one commit (README.md) and a committer identity."""
    root = tmp_path / "proj"
    root.mkdir()
    for command in (["init", "-q"], ["config", "user.email", "t@t"], ["config", "user.name", "t"]):
        subprocess.run(["git", *command], cwd=root, check=True)
    (root / "README.md").write_text("# project\n")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=root, check=True)
    return root


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL for the session (skipped, saying why, where it is not installed)."""
    from tests.pg import PostgresServer, missing_reason

    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server):
    """A fresh, empty database on the session's PostgreSQL; dropped after the test."""
    import secrets

    name = f"t_{secrets.token_hex(6)}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)
