"""The wheel that pipx and uvx install: its console script, package data and native core work from a
plain venv (no checkout, no editable finder). Offline: the dependencies come from this environment
through a path entry, only CodeTether itself comes from the wheel."""

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.packaging.conftest import RELEASE_DIR, ROOT, artifacts


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = RELEASE_DIR
    if given:
        found = sorted(Path(given).glob(f"codetether-{artifacts.version()}-*.whl"))
        if found:
            return found[0]
    out = tmp_path_factory.mktemp("wheel")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(out),
        str(ROOT),
    ]
    subprocess.run(command, check=True, timeout=600, capture_output=True)
    (built,) = out.glob("codetether-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)]
    subprocess.run(install, check=True, timeout=300)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Dependencies only: a plain path entry, so this environment's editable-install finder is not loaded.
    Path(purelib, "deps-from-the-test-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return root


def test_the_wheel_carries_the_native_core_and_the_data(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("chunker", "ringbus", "sandbox"):
        assert any(n.startswith(f"ctcore/_{module}_c.") and n.endswith((".so", ".pyd")) for n in names), module
    for data in ("codetether/config/default.toml", "codetether/tools/grep.md", "codetether/a2a/pb/v1_pb2.py"):
        assert data in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "codetether = codetether.cli.entry:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_console_script_runs_from_the_wheel(venv: Path, tmp_path: Path):
    script = venv / "bin" / "codetether"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    version = subprocess.run([str(script), "--version"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout == f"codetether {artifacts.version()}\n", version.stderr
    helped = subprocess.run([str(script), "--help"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert helped.returncode == 0 and "  run " in helped.stdout
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import codetether, ctcore.chunker as c; print(codetether.__file__, c.IMPLEMENTATION)",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    location, implementation = where.stdout.split()
    assert location.startswith(str(venv)) and implementation == "c", where.stderr
