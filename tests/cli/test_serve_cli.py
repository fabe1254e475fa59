"""`codetether serve` start-up, as a person runs it: the auth token check and the documented default port."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codetether.config.schema import A2ASection

REPO = Path(__file__).resolve().parents[2]

SEED_PORT = 4096  # what the original documents (`codetether serve --port 4096`) and users script against


def test_short_auth_token_is_a_one_line_usage_error_naming_the_minimum(cli):
    result = cli("serve", "--no-grpc", "--port", "0", env={"CODETETHER_AUTH_TOKEN": "tiny-tok"})
    assert result.code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "CODETETHER_AUTH_TOKEN" in lines[0] and "16 characters" in lines[0]
    assert "internal error" not in result.stderr and "tiny-tok" not in result.stderr  # the bad token is not echoed


def test_default_port_is_the_documented_4096(cli):
    assert A2ASection().port == SEED_PORT
    assert "4096" in cli("serve", "--help").stdout
    shown = cli("config", "--show").stdout
    assert f"port = {SEED_PORT}" in shown


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_serve_without_port_listens_on_4096(tmp_path):
    if not _port_free(SEED_PORT):
        pytest.skip(f"port {SEED_PORT} is in use on this machine")
    env = {**os.environ, "CODETETHER_AUTH_TOKEN": "t" * 32, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "codetether", "serve", "--no-grpc", "--json"]
    command += ["--executor", "tests.a2a.executors:ScriptedExecutor"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # the addresses, or "" when serve exited
        assert line, proc.communicate()[1]
        assert json.loads(line)["http_url"] == f"http://127.0.0.1:{SEED_PORT}"
    finally:
        proc.terminate()
        proc.communicate()
