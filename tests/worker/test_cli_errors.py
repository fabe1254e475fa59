"""``codetether worker``/``spawn``/``serve --queue-only``: bad input is one clear line, no traceback;
their ``--help`` stays light."""

import pytest

from tests.cli.test_startup import HEAVY, imported_modules


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["worker", "--server", "http://127.0.0.1:9"], "no token to register with"),
        (["worker", "--server", "127.0.0.1:9", "--token", "t" * 20], "is not an http(s) URL"),
        (
            ["worker", "--server", "http://127.0.0.1:9", "--token", "t" * 20, "--workspaces", "/nope/x"],
            "--workspaces: /nope/x is not a directory",
        ),
        (
            ["worker", "--server", "http://127.0.0.1:9", "--token", "t" * 20, "--probe-port", "0"],
            "cannot register with http://127.0.0.1:9",
        ),
        (["spawn", "--name", "a", "--peer", "ftp://x"], "peer 'ftp://x' is not an http(s) URL"),
        (["serve", "--queue-only", "--executor", "x:y"], "--queue-only and --executor exclude each other"),
    ],
)
def test_bad_input_is_one_line(cli, args, message):
    result = cli(*args, env={"CODETETHER_AUTH_TOKEN": "a" * 20} if args[0] != "worker" else None)
    assert result.code != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["worker", "spawn"])
def test_help_imports_nothing_heavy(command):
    top_level = {m.split(".")[0] for m in imported_modules(command, "--help")}
    assert not HEAVY & top_level
