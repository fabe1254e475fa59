"""Real MCP servers for the client tests: tests/mcp/server.py over stdio, and over streamable HTTP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVER = Path(__file__).with_name("server.py")


def stdio_table(name: str, *extra: str, **settings: object) -> str:
    """A ``[mcp.NAME]`` table that starts the fixture server over stdio."""
    args = ", ".join(f'"{a}"' for a in [str(SERVER), *extra])
    lines = [f"[mcp.{name}]", f'command = "{sys.executable}"', f"args = [{args}]"]
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in settings.items() if not isinstance(value, dict)]
    for key, table in settings.items():
        if isinstance(table, dict):
            lines.append(f"[mcp.{name}.{key}]")
            lines += [f'{k} = "{v}"' for k, v in table.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def http_server(tmp_path: Path):
    """The fixture server on 127.0.0.1 over streamable HTTP; yields its endpoint URL once it accepts."""
    port_file = tmp_path / "port"
    proc = subprocess.Popen([sys.executable, str(SERVER), "http", str(port_file)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():  # written by the server once uvicorn listens
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the HTTP MCP server did not start"
            time.sleep(0.02)
        port = int(port_file.read_text())
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture
def write_config(config_file: Path):
    """Write the user config (the fake provider's table comes from the caller)."""

    def write(*tables: str) -> Path:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text("\n".join(tables))
        return config_file

    return write


def environ_with(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}
