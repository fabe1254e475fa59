"""The shiv zipapp as a user runs it: a plain python3, an empty directory, a fresh HOME, no checkout."""

import os
import subprocess
from pathlib import Path

import pytest
import smoke  # build/smoke.py, on sys.path through the conftest

from tests.packaging.conftest import artifacts, base_python


def test_name_carries_version_platform_and_python(zipapp: Path):
    assert zipapp.name == artifacts.names()["zipapp"]
    assert artifacts.version() in zipapp.name and artifacts.platform_tag() in zipapp.name


async def test_smoke_from_an_empty_directory(zipapp: Path):
    """--version, --help, serve + /health with gRPC, and a run whose grep call needs the bundled rg."""
    passed: list[str] = []
    await smoke.smoke([base_python(), str(zipapp)], report=passed.append)
    assert passed == ["ok  version", "ok  help", "ok  serve", "ok  run"]


@pytest.fixture
def extracted(zipapp: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The zipapp run once into its own cache root; (its site-packages, the env that ran it)."""
    home = tmp_path / "fresh-home"
    home.mkdir()
    env = {**smoke.clean_env(home), "SHIV_ROOT": str(tmp_path / "pyz-cache")}
    done = subprocess.run([base_python(), str(zipapp), "--version"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (site,) = Path(env["SHIV_ROOT"]).glob(f"codetether-{artifacts.version()}_*/site-packages")
    return site, env


def test_extracted_once_into_a_cache_named_by_version_and_build(extracted, zipapp: Path):
    site, env = extracted
    build_id = site.parent.name.rpartition("_")[2]
    assert len(build_id) == 32 and int(build_id, 16) >= 0
    assert (site / "codetether" / "_version.py").is_file()
    assert [p.name for p in site.parent.parent.iterdir()] == [site.parent.name]  # no temporary folder left
    marker = site / "codetether" / "marker"
    marker.write_text("extracted once")
    done = subprocess.run([base_python(), str(zipapp), "--version"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and marker.read_text() == "extracted once"  # a second start reuses the cache


def test_bytecode_is_shipped_and_never_rewritten(extracted, zipapp: Path):
    """Hash-based pycs ride in the zipapp: with bytecode writes *allowed*, a run compiles nothing new.

    A stale or missing pyc would be rewritten here (and, under PYTHONDONTWRITEBYTECODE=1, recompiled
    on every start instead)."""
    site, env = extracted
    pyc = next((site / "codetether" / "cli" / "__pycache__").glob("entry.cpython-*.pyc"))
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01, f"{pyc.name}: flags {flags:#b}, want unchecked-hash (0b01)"
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.pyc")}
    writable = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for args in (["--help"], ["config", "--show"], ["models", "--help"]):
        done = subprocess.run([base_python(), str(zipapp), *args], env=writable, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    after = {p: p.stat().st_mtime_ns for p in site.rglob("*.pyc")}
    assert after == before


@pytest.mark.parametrize(("no_extensions", "want"), [("", "c"), ("1", "python")])
def test_native_core_with_pure_twins_as_fallback(extracted, no_extensions: str, want: str):
    site, env = extracted
    code = "import ctcore.chunker, ctcore.ringbus, ctcore.sandbox as s; print(ctcore.chunker.IMPLEMENTATION)"
    run_env = {**env, "PYTHONPATH": str(site), "CODETETHER_NO_EXTENSIONS": no_extensions}
    done = subprocess.run([base_python(), "-S", "-c", code], env=run_env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == want


def test_bundles_ripgrep_and_the_package_data(extracted):
    site, _ = extracted
    rg = site / "codetether" / "_bin" / "rg"
    assert rg.is_file() and os.access(rg, os.X_OK)
    assert subprocess.run([str(rg), "--version"], capture_output=True, text=True).stdout.startswith("ripgrep ")
    for data in ("config/default.toml", "providers/catalog.toml", "tools/grep.md", "agent/agents/build.md"):
        assert (site / "codetether" / data).is_file(), data
    assert list((site / "codetether" / "a2a" / "pb").glob("v1_pb2.py")), "the generated A2A stubs are missing"
