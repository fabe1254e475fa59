"""Which quality checks fit a repository: its own test runner, linter, type checker and build.

``create-prd`` asks this, so a fresh PRD gates stories on what the project already uses instead of
the original's fixed cargo commands. Each ecosystem is recognised by its manifest and by evidence
that a tool is really in use (a config section, a dependency, a script); several ecosystems in one
repository chain their commands with ``&&``.
"""

import json
import tomllib
from pathlib import Path
from typing import Any

from .prd import QualityChecks

_NPM_PLACEHOLDER = "no test specified"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _python(root: Path) -> dict[str, str]:
    manifests = [root / n for n in ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "tox.ini")]
    if not any(p.exists() for p in manifests) and not any(root.glob("test_*.py")) and not (root / "tests").is_dir():
        return {}
    pyproject = _read_toml(root / "pyproject.toml")
    tool = pyproject.get("tool", {})
    text = " ".join(p.read_text("utf-8", "replace") for p in manifests if p.is_file()).lower()
    checks: dict[str, str] = {}
    uses_pytest = "pytest" in tool or "pytest" in text or (root / "pytest.ini").exists()
    if uses_pytest or (root / "tests").is_dir() or any(root.glob("test_*.py")):
        checks["test"] = "python -m pytest -q"
    if "ruff" in tool or "ruff" in text or (root / "ruff.toml").exists() or (root / ".ruff.toml").exists():
        checks["lint"] = "ruff check ."
    elif "flake8" in text or (root / ".flake8").exists():
        checks["lint"] = "flake8"
    if "mypy" in tool or "mypy" in text or (root / "mypy.ini").exists():
        checks["typecheck"] = "mypy ."
    elif "pyright" in tool or (root / "pyrightconfig.json").exists():
        checks["typecheck"] = "pyright"
    return checks


def _node(root: Path) -> dict[str, str]:
    manifest = root / "package.json"
    if not manifest.is_file():
        return {}
    try:
        package = json.loads(manifest.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        package = {}
    package = package if isinstance(package, dict) else {}
    scripts = package.get("scripts") or {}
    deps = {**(package.get("dependencies") or {}), **(package.get("devDependencies") or {})}
    checks: dict[str, str] = {}
    if isinstance(scripts.get("test"), str) and _NPM_PLACEHOLDER not in scripts["test"]:
        checks["test"] = "npm test"
    if (root / "tsconfig.json").exists() or "typescript" in deps:
        checks["typecheck"] = "npx tsc --noEmit"
    if "lint" in scripts:
        checks["lint"] = "npm run lint"
    elif "eslint" in deps or any(root.glob("eslint.config.*")) or any(root.glob(".eslintrc*")):
        checks["lint"] = "npx eslint ."
    if "build" in scripts:
        checks["build"] = "npm run build"
    return checks


def _rust(root: Path) -> dict[str, str]:
    if not (root / "Cargo.toml").is_file():
        return {}
    return {
        "typecheck": "cargo check",
        "test": "cargo test",
        "lint": "cargo clippy -- -D warnings",
        "build": "cargo build",
    }


def _go(root: Path) -> dict[str, str]:
    if not (root / "go.mod").is_file():
        return {}
    return {"typecheck": "go vet ./...", "test": "go test ./...", "build": "go build ./..."}


DETECTORS = {"python": _python, "node": _node, "rust": _rust, "go": _go}


def detect(root: Path) -> tuple[QualityChecks, list[str]]:
    """The quality checks for the repository at ``root`` and the ecosystems they came from."""
    merged: dict[str, list[str]] = {}
    found: list[str] = []
    for name, detector in DETECTORS.items():
        checks = detector(root)
        if checks:
            found.append(name)
        for kind, command in checks.items():
            merged.setdefault(kind, []).append(command)
    return QualityChecks(**{kind: " && ".join(commands) for kind, commands in merged.items()}), found
