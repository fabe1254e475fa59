"""The native build is optional: without a working compiler the install goes on with one warning."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("Cython", reason="the [dev] extra installs Cython")
pytest.importorskip("setuptools", reason="the [dev] extra installs setuptools")


@pytest.fixture
def source_tree(tmp_path: Path) -> Path:
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "ctcore", tmp_path / "ctcore", ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    return tmp_path


def build(tree: Path, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=tree,
        env={**os.environ, "CC": "false", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_broken_compiler_degrades_to_pure_twins_with_one_warning(source_tree):
    result = build(source_tree)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("the native core (ctcore) could not be compiled") == 1
    assert "pure-Python twins" in result.stderr
    assert not list((source_tree / "ctcore").glob("*.so"))
    # -S: no site-packages, so the installed ctcore cannot shadow the one just built here.
    probe = "import ctcore.chunker as c; print(c.IMPLEMENTATION, c.chunk_text('a b', 2))"
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe], cwd=source_tree, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "python ['a ', 'b']"


def test_required_extensions_fail_the_build(source_tree):
    result = build(source_tree, CODETETHER_REQUIRE_EXTENSIONS="1")
    assert result.returncode != 0
