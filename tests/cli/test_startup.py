"""`--version` and `--help` stay light: no heavy library is imported, and subcommands load lazily."""

import json
import subprocess
import sys

import pytest

from codetether import __version__

HEAVY = {"aiohttp", "grpc", "urwid", "kubernetes", "llama_cpp", "hvac", "msgspec", "requests", "tomlkit", "mcp"}


# sys.modules at exit, not `-X importtime`: importtime misses modules loaded by importlib.import_module,
# which is exactly how the lazy group loads subcommands.
_PROBE = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
    "from codetether.cli.entry import main\n"
    "main(sys.argv[1:])\n"
)


def imported_modules(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stderr.splitlines() if line.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


@pytest.mark.parametrize(
    "args",
    [("--version",), ("--help",), ("config", "--help"), ("auth", "--help"), ("models", "--help"), ("mcp", "--help")],
)
def test_nothing_heavy_is_imported(args):
    modules = imported_modules(*args)
    top_level = {m.split(".")[0] for m in modules}
    assert not HEAVY & top_level, f"{' '.join(args)} imported {sorted(HEAVY & top_level)}"


def test_version_answers_before_click_loads():
    modules = imported_modules("--version")
    assert "click" not in modules


def test_help_does_not_import_subcommands():
    modules = imported_modules("--help")
    assert not any(m.startswith("codetether.cli.commands.") for m in modules)


def test_subcommand_imports_only_itself():
    modules = imported_modules("crash", "list")
    assert "codetether.cli.commands.crash" in modules
    assert "codetether.cli.commands.auth" not in modules
    assert "codetether.cli.commands.config" not in modules


def test_version_output(cli):
    for flag in ("--version", "-V"):
        result = cli(flag)
        assert (result.code, result.stdout) == (0, f"codetether {__version__}\n")


def test_help_lists_commands(cli):
    result = cli("--help")
    assert result.code == 0
    for name in ("auth", "config", "crash", "models"):
        assert f"  {name} " in result.stdout
    assert "raise" not in result.stdout
