"""The PRD schema, `ralph validate` and `ralph create-prd`: every problem one line naming its JSON path."""

import json
import subprocess

import pytest

from codetether.ralph.prd import convert, mark_passed
from codetether.ralph.validate import check_text
from tests.ralph.helpers import story, write_prd

# The original Rust tool's `create-prd` template (src/ralph: US-001, branch feature/<slug>, cargo checks,
# serde's null for unset options, chrono timestamps), as FEATURES.md describes it.
RUST_TEMPLATE = {
    "project": "my-project",
    "feature": "My Feature",
    "branch_name": "feature/my-feature",
    "version": "1.0",
    "user_stories": [
        {
            "id": "US-001",
            "title": "First user story",
            "description": "Description of the first user story",
            "acceptance_criteria": ["Criterion 1", "Criterion 2"],
            "verification_steps": [],
            "passes": False,
            "priority": 1,
            "depends_on": [],
            "complexity": 3,
        }
    ],
    "technical_requirements": [],
    "quality_checks": {
        "typecheck": "cargo check",
        "test": "cargo test",
        "lint": "cargo clippy",
        "build": "cargo build --release",
    },
    "created_at": "2025-01-01T00:00:00.000000000+00:00",
    "updated_at": "2025-01-01T00:00:00.000000000+00:00",
}


def problems(raw) -> list[str]:
    text = raw if isinstance(raw, str) else json.dumps(raw)
    return check_text(text)[1]


def valid(**changes):
    prd = {
        "project": "p",
        "feature": "f",
        "user_stories": [story("US-001", "one"), story("US-002", "two", depends_on=["US-001"])],
        "quality_checks": {"test": "pytest"},
    }
    prd.update(changes)
    return prd


def test_rust_template_validates_and_keeps_its_fields():
    prd, errors = check_text(json.dumps(RUST_TEMPLATE))
    assert errors == [] and prd is not None
    assert prd.quality_checks.items() == [
        ("typecheck", "cargo check"),
        ("lint", "cargo clippy"),
        ("build", "cargo build --release"),
        ("test", "cargo test"),
    ]


def test_original_spellings_dependencies_alias_nulls_and_tagged_steps():
    raw = valid()
    raw["user_stories"][1] = {**story("US-002", "two"), "dependencies": ["US-001"]}
    del raw["user_stories"][1]["depends_on"]
    raw["user_stories"][0]["verification_steps"] = [
        {"type": "shell", "command": "pytest", "expect_output_contains": ["passed"], "cwd": None, "name": None},
        {"type": "file_exists", "path": "src/*.py", "glob": True},
        {"type": "url", "url": "http://127.0.0.1:1/health", "expect_status": 204},
    ]
    raw["quality_checks"] = {"test": "pytest", "lint": None, "typecheck": None, "build": None}
    prd = convert(raw)
    assert prd.user_stories[1].depends_on == ["US-001"]
    kinds = [type(s).__name__ for s in prd.user_stories[0].verification_steps]
    assert kinds == ["ShellStep", "FileExistsStep", "UrlStep"]
    assert prd.user_stories[0].verification_steps[2].method == "GET"
    assert problems(raw) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"project": "p",\n  "feature": }', ["prd.json: invalid JSON at line 2, column 14: Expecting value"]),
        ("[]", ["$: expected an object, got array"]),
        (valid(user_stories=[story("A", "a", depends_on=["B"]), story("B", "b", depends_on=["A"])]),
         ["$.user_stories: dependency cycle A -> B -> A"]),
        (valid(user_stories=[story("A", "a", depends_on=["ZZ"])]),
         ["$.user_stories[0].depends_on[0]: unknown story id 'ZZ'"]),
        (valid(quality_checks={}),
         ["$.quality_checks: no quality checks (set at least one of typecheck, test, lint, build to a shell command)"]),
        (valid(quality_checks={"test": None, "lint": "  "}),
         ["$.quality_checks: no quality checks (set at least one of typecheck, test, lint, build to a shell command)"]),
        (valid(user_stories=[story("A", "a"), story("A", "b")]),
         ["$.user_stories[1].id: 'A' is also the id of $.user_stories[0]"]),
        (valid(user_stories=[story("../x", "a")]),
         ["$.user_stories[0].id: '../x' is not a usable id (letters, digits, '.', '_', '-'; at most 64, "
          "starting with a letter or digit)"]),
        (valid(user_stories=[]), ["$.user_stories: the PRD has no user stories"]),
        (valid(branch_name="feat ure"), ["$.branch_name: 'feat ure' is not a valid git branch name"]),
    ],
)  # fmt: skip
def test_semantic_and_syntax_problems(raw, expected):
    assert problems(raw) == expected


def test_every_schema_error_is_reported_with_its_path():
    raw = valid()
    raw["project"] = 7
    raw["user_stories"][0]["priority"] = "high"
    raw["user_stories"][0]["complexity"] = 300
    raw["user_stories"][1]["verification_steps"] = [
        {"type": "shell"},
        {"type": "ftp", "path": "x"},
        {"type": "url", "url": "http://x", "expect_status": "ok"},
    ]
    del raw["user_stories"][1]["title"]
    raw["quality_checks"] = {"test": ["pytest"]}
    assert problems(raw) == [
        "$.project: expected `str`, got `int`",
        "$.quality_checks.test: expected `str | null`, got `array`",
        "$.user_stories[0].priority: expected `int`, got `str`",
        "$.user_stories[0].complexity: expected `int` <= 255",
        "$.user_stories[1].title: required field is missing",
        "$.user_stories[1].verification_steps[0].command: required field is missing",
        "$.user_stories[1].verification_steps[1].type: invalid value 'ftp'",
        "$.user_stories[1].verification_steps[2].expect_status: expected `int`, got `str`",
    ]


def test_mark_passed_is_atomic_and_keeps_unknown_fields(tmp_path):
    raw = valid()
    raw["x_custom"] = {"keep": True}
    raw["user_stories"][1]["dependencies"] = raw["user_stories"][1].pop("depends_on")
    (tmp_path / "d").mkdir()
    path = tmp_path / "d" / "prd.json"
    path.write_text(json.dumps(raw))
    mark_passed(path, "US-001")
    after = json.loads(path.read_text())
    assert after["x_custom"] == {"keep": True} and after["user_stories"][1]["dependencies"] == ["US-001"]
    assert [s["passes"] for s in after["user_stories"]] == [True, False]
    assert after["updated_at"].endswith("Z")
    assert [p.name for p in path.parent.iterdir()] == ["prd.json"]  # no temporary file left


BAD = {
    "invalid JSON": ('{"project": "p", "feature": ', "bad.json: invalid JSON at line 1, column 29"),
    "cycle": (valid(user_stories=[story("A", "a", depends_on=["B"]), story("B", "b", depends_on=["A"])]),
              "$.user_stories: dependency cycle A -> B -> A"),
    "unknown dependency": (valid(user_stories=[story("A", "a", depends_on=["Q"])]),
                           "$.user_stories[0].depends_on[0]: unknown story id 'Q'"),
    "no quality checks": (valid(quality_checks={}), "$.quality_checks: no quality checks"),
    "deep wrong type": (valid(user_stories=[story("A", "a", steps=[{"type": "url", "url": "u", "timeout_secs": "9"}])]),
                        "$.user_stories[0].verification_steps[0].timeout_secs: expected `int`, got `str`"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_prd_is_one_line_naming_the_path(cli, tmp_path, case):
    raw, expected = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw))
    result = cli("ralph", "validate", str(path))
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    # `ralph run` refuses it the same way, before touching git or any provider
    result = cli("ralph", "run", "--prd", str(path))
    assert result.code == 2 and result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_validate_json_and_valid_summary(cli, tmp_path):
    path = write_prd(tmp_path, [story("US-001", "one")])
    result = cli("ralph", "validate", str(path))
    assert result.code == 0 and "valid (1 stories, 0 pass; checks: test)" in result.stdout
    path.write_text(json.dumps(valid(quality_checks={}, project=3)))
    result = cli("ralph", "validate", "--json", str(path))
    assert result.code == 2 and json.loads(result.stdout) == {
        "valid": False,
        "problems": ["$.project: expected `str`, got `int`"],
    }


def _init(repo):
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": "[tool.ruff]\n[tool.mypy]\n[tool.pytest.ini_options]\n"},
         {"typecheck": "mypy .", "lint": "ruff check .", "test": "python -m pytest -q"}),
        ({"package.json": json.dumps({"scripts": {"test": "vitest", "build": "vite build"},
                                      "devDependencies": {"eslint": "9", "typescript": "5"}}), "tsconfig.json": "{}"},
         {"typecheck": "npx tsc --noEmit", "lint": "npx eslint .", "build": "npm run build", "test": "npm test"}),
        ({"package.json": json.dumps({"scripts": {"test": 'echo "Error: no test specified" && exit 1'}})}, {}),
        ({"Cargo.toml": "[package]\nname='x'\n"},
         {"typecheck": "cargo check", "lint": "cargo clippy -- -D warnings", "build": "cargo build",
          "test": "cargo test"}),
        ({"go.mod": "module x\n"}, {"typecheck": "go vet ./...", "build": "go build ./...", "test": "go test ./..."}),
        ({"go.mod": "module x\n", "requirements.txt": "pytest\n"},
         {"typecheck": "go vet ./...", "build": "go build ./...", "test": "python -m pytest -q && go test ./..."}),
    ],
)  # fmt: skip
def test_create_prd_detects_the_repository_checks(cli, tmp_path, files, expected):
    repo = tmp_path / "r"
    _init(repo)
    for name, content in files.items():
        (repo / name).write_text(content)
    result = cli("ralph", "create-prd", "--feature", "Dark Mode!", "--project-name", "demo", cwd=repo)
    assert result.code == 0, result.stderr
    prd = json.loads((repo / "prd.json").read_text())
    assert dict(convert(prd).quality_checks.items()) == expected
    assert prd["branch_name"] == "feature/dark-mode" and prd["user_stories"][0]["id"] == "US-001"
    if expected:
        assert cli("ralph", "validate", cwd=repo).code == 0
    else:
        assert "no test, lint or build tooling found" in result.stderr
        assert "$.quality_checks: no quality checks" in cli("ralph", "validate", cwd=repo).stderr
    again = cli("ralph", "create-prd", "--feature", "x", "--project-name", "y", cwd=repo)
    assert again.code == 2 and "prd.json already exists" in again.stderr
