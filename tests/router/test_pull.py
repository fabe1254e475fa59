"""`codetether models pull functiongemma` against a loopback HTTP server: verified, refused, interrupted."""

import asyncio
import hashlib
import os
import socket
import sys
from pathlib import Path

import pytest

PAYLOAD = b"GGUF" + os.urandom(3 * 1024 * 1024 + 17)  # a few chunks' worth
GOOD = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
async def server():
    """/model.gguf serves the payload; /cut.gguf promises all of it and closes half-way."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        path = request.split(b" ")[1]
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len(PAYLOAD)}\r\n"
        if path == b"/model.gguf":
            writer.write(head.encode() + b"Connection: close\r\n\r\n" + PAYLOAD)
        elif path == b"/cut.gguf":
            writer.write(head.encode() + b"Connection: close\r\n\r\n" + PAYLOAD[: len(PAYLOAD) // 2])
        else:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
    srv.close()
    await srv.wait_closed()


async def pull(*args: str, data: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codetether",
        "models",
        "pull",
        "functiongemma",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CODETETHER_DATA_DIR": str(data)},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


def files(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "models").iterdir()) if (data / "models").exists() else []


async def test_download_is_verified_and_kept(server, tmp_path):
    data = tmp_path / "data"
    code, out, err = await pull("--url", f"{server}/model.gguf", "--sha256", GOOD.upper(), data=data)
    assert code == 0, err
    target = data / "models" / "functiongemma-270m-it-Q4_K_M.gguf"
    assert target.read_bytes() == PAYLOAD and files(data) == [target.name]
    assert f"downloaded and verified: {target}" in out and "downloading functiongemma" in err
    code, out, _ = await pull("--url", f"{server}/model.gguf", "--sha256", GOOD, data=data)
    assert code == 0 and "already present and verified" in out


async def test_wrong_hash_is_refused_and_nothing_left(server, tmp_path):
    data = tmp_path / "data"
    code, _, err = await pull("--url", f"{server}/model.gguf", "--sha256", "0" * 64, data=data)
    assert code == 1 and "SHA-256" in err and "nothing was kept" in err
    assert files(data) == []


async def test_interrupted_download_leaves_nothing(server, tmp_path):
    data = tmp_path / "data"
    code, _, err = await pull("--url", f"{server}/cut.gguf", "--sha256", GOOD, data=data)
    assert code == 1 and "cut off" in err and "nothing was kept" in err
    assert files(data) == []


async def test_offline_and_bad_input_explain_themselves(server, tmp_path):
    data = tmp_path / "data"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/model.gguf"
    code, _, err = await pull("--url", dead, "--sha256", GOOD, data=data)
    assert code == 1 and "cannot reach" in err and "CODETETHER_TOOL_ROUTER_MODEL_PATH" in err
    code, _, err = await pull("--url", f"{server}/missing.gguf", "--sha256", GOOD, data=data)
    assert code == 1 and "HTTP 404" in err
    code, _, err = await pull("--url", f"{server}/model.gguf", data=data)
    assert code == 2 and "--url needs --sha256" in err
    code, _, err = await pull("--url", "file:///etc/passwd", "--sha256", GOOD, data=data)
    assert code == 1 and "only http(s) URLs" in err
    code, _, err = await pull("--url", f"{server}/model.gguf", "--sha256", "abc", data=data)
    assert code == 1 and "not a SHA-256" in err
    assert files(data) == []
    assert len(err.strip().splitlines()) == 1  # one line, no traceback
