"""Fixtures for the packaging tests: the build/ scripts importable, and one zipapp per test session.

Set CODETETHER_ZIPAPP to a built .pyz to test that file; otherwise the session builds one from this
checkout (about a minute, needs the package index or pip's cache for the dependencies). Set
CODETETHER_RELEASE_DIR to dist/ after build/release.sh (CI does both) to install and run the real
artifacts too.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
if str(BUILD) not in sys.path:
    sys.path.insert(0, str(BUILD))

import artifacts  # noqa: E402

# Read once at import: tests/conftest.py clears CODETETHER_* variables around every test.
ZIPAPP = os.environ.get("CODETETHER_ZIPAPP")
RELEASE_DIR = os.environ.get("CODETETHER_RELEASE_DIR")


def base_python() -> str:
    """The interpreter under this venv: a user's plain ``python3``, which has none of our packages."""
    return getattr(sys, "_base_executable", None) or sys.executable


@pytest.fixture(scope="session")
def zipapp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if ZIPAPP:
        path = Path(ZIPAPP).resolve()
        if not path.is_file():
            pytest.fail(f"CODETETHER_ZIPAPP={ZIPAPP} is not a file")
        return path
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, str(BUILD / "make_zipapp.py"), "--out", str(out)], check=True, timeout=900)
    return out / artifacts.names()["zipapp"]
