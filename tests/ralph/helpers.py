"""Shared pieces of the Ralph tests: a real git repo with a real pytest suite, PRDs, scripted story agents."""

import json
import subprocess
from pathlib import Path

from tests.fakes.llm import Call, Reply

CALC = "def add(a, b):\n    return a + b\n"
BASE_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
# The story most end-to-end Ralph runs carry out: a subtraction module and its test.
SUB = "def sub(a, b):\n    return a - b\n"
SUB_TEST = "from calc_sub import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path) -> Path:
    """A git repository with calc.py and a passing pytest suite, committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@t")
    git(root, "config", "user.name", "t")
    (root / "calc.py").write_text(CALC)
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "test_calc.py").write_text(BASE_TEST)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def story(sid: str, title: str, *, depends_on=(), priority=1, steps=(), **extra) -> dict:
    return {
        "id": sid,
        "title": title,
        "description": f"Implement {title}.",
        "acceptance_criteria": [f"{title} works", "the test suite passes"],
        "verification_steps": list(steps),
        "passes": False,
        "priority": priority,
        "depends_on": list(depends_on),
        "complexity": 2,
        **extra,
    }


def write_prd(repo: Path, stories: list[dict], *, name: str = "prd.json", **extra) -> Path:
    prd = {
        "project": "calc",
        "feature": "Calculator",
        "branch_name": "feature/calculator",
        "version": "1.0",
        "user_stories": stories,
        "technical_requirements": ["Python 3.11", "pytest"],
        "quality_checks": {"test": "python -m pytest -q -p no:cacheprovider"},
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        **extra,
    }
    path = repo / name
    path.write_text(json.dumps(prd, indent=2))
    return path


def key(sid: str) -> str:
    """What routes a story's requests (and its repair rounds, in the same conversation) to its script."""
    return f"# Your story: {sid} -"


def done(summary: str, learnings: list[str]) -> Reply:
    block = json.dumps({"summary": summary, "learnings": learnings})
    return Reply(text=f"Finished.\n\n```json\n{block}\n```")


def write(path: str, content: str) -> Reply:
    return Reply(calls=[Call("write_file", {"file_path": path, "content": content})])


def prd_flags(path: Path) -> dict[str, bool]:
    return {s["id"]: s["passes"] for s in json.loads(path.read_text())["user_stories"]}


def log(repo: Path, ref: str = "HEAD") -> list[str]:
    return git(repo, "log", "--format=%s", ref).splitlines()


def subtraction_repo(root: Path, llm, learning: str) -> Path:
    """A repo whose PRD is one story, US-001 "Subtraction", and its agent scripted to write SUB and
    SUB_TEST and to report ``learning``."""
    repo = make_repo(root)
    write_prd(repo, [story("US-001", "Subtraction")])
    llm.route(
        key("US-001"),
        write("calc_sub.py", SUB),
        write("tests/test_sub.py", SUB_TEST),
        done("added sub", [learning]),
    )
    return repo
