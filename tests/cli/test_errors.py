"""Expected failures are one line on stderr with a non-zero exit; tracebacks only on request."""

import pytest


def test_expected_failure_is_one_clear_line(cli, config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text("[ui]\ntheme = = 1\n")
    result = cli("config", "--show")
    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {config_file}:2:") and "Traceback" not in result.stderr


@pytest.mark.parametrize("how", [("--debug",), ("env",)])
def test_debug_shows_the_traceback(cli, config_file, how):
    config_file.parent.mkdir(parents=True)
    config_file.write_text("[ui]\ntheme = = 1\n")
    if how == ("env",):
        result = cli("config", "--show", env={"CODETETHER_DEBUG": "1"})
    else:
        result = cli("--debug", "config", "--show")
    assert result.code == 1
    assert "Traceback" in result.stderr and "TOMLDecodeError" in result.stderr


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.code == 2
    assert "No such command 'frobnicate'" in result.stderr and "Traceback" not in result.stderr


def test_bad_override_flag(cli):
    result = cli("-o", "nonsense", "config", "--show")
    assert result.code == 2
    assert result.stderr.strip() == "error: -o 'nonsense' is not KEY=VALUE (for example: -o default.model=gpt-5)"


def test_override_flag_applies(cli):
    result = cli("-o", "default.model=gpt-5", "config", "--show")
    assert result.code == 0
    assert 'model = "gpt-5" # from command line' in result.stdout


def _stderr_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stderr on a pseudo-terminal, where colour would normally be used."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "codetether", *args],
        stderr=follower,
        stdout=subprocess.DEVNULL,
        env={**os.environ, **env},
        timeout=60,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.returncode == 1
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color(config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text("oops = [\n")
    coloured = _stderr_on_a_terminal(["config", "--show"], {})
    assert "\x1b[" in coloured and "error:" in coloured
    plain = _stderr_on_a_terminal(["config", "--show"], {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and plain.startswith("error:")


def test_no_colour_in_pipes(cli, config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text("oops = [\n")
    result = cli("config", "--show")
    assert "\x1b[" not in result.stderr and result.stderr.startswith("error:")


def test_internal_error_without_crash_reporting(cli, data_dir):
    result = cli("crash", "raise")
    assert result.code == 70
    assert "internal error: RuntimeError" in result.stderr
    assert "--debug" in result.stderr and "Traceback" not in result.stderr
    assert not (data_dir / "crash-reports").exists()
