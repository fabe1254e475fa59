"""`codetether benchmark` and the suite in benchmarks/: solvable cases, hidden tests that matter, scoring."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.test_run_e2e import configure, run_cli
from tests.fakes.llm import Call, Reply
from tests.ralph.bench_solutions import SOLUTIONS
from tests.ralph.helpers import done, key, write

SUITE = Path(__file__).resolve().parents[2] / "benchmarks"
CASES = sorted(p.parent for p in SUITE.glob("tier*/*/prd.json"))


def pytest_in(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_suite_has_three_tiers_of_valid_prds(cli):
    tiers = {case.parent.name for case in CASES}
    assert tiers == {"tier1", "tier2", "tier3"} and 6 <= len(CASES) <= 10
    for case in CASES:
        result = cli("ralph", "validate", str(case / "prd.json"))
        assert result.code == 0, result.stderr
        assert set(SOLUTIONS) >= {case.name}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_each_case_is_solvable_and_its_hidden_tests_bite(tmp_path, case):
    repo = tmp_path / "repo"
    shutil.copytree(case / "repo", repo)
    shutil.copytree(case / "acceptance", repo / "ralph_acceptance")
    assert pytest_in(repo).returncode == 0  # the starter's own suite passes: the quality check can run
    assert pytest_in(repo, "ralph_acceptance").returncode != 0  # and the hidden tests fail on it
    story_ids = [s["id"] for s in json.loads((case / "prd.json").read_text())["user_stories"]]
    assert [sid for sid, _ in SOLUTIONS[case.name]] == story_ids
    for _, files in SOLUTIONS[case.name]:
        for path, content in files.items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(content)
    solved = pytest_in(repo, "tests", "ralph_acceptance")
    assert solved.returncode == 0, solved.stdout


async def test_benchmark_runs_ralph_and_scores_with_hidden_tests(llm, tmp_path, config_file):
    configure(config_file, llm)
    (slug_id, slug_files), (roman_id, _) = SOLUTIONS["slugify"][0], SOLUTIONS["roman"][0]
    path, content = next(iter(slug_files.items()))
    llm.route(
        key(slug_id),
        Reply(calls=[Call("read_file", {"file_path": path})]),
        write(path, content),
        done("slugify", ["use unicodedata"]),
    )
    # passes the visible smoke test (it imports) but not the hidden ones
    wrong = '"""Number formatting."""\n\n\ndef to_roman(n):\n    return "I" * n\n'
    llm.route(
        key(roman_id),
        Reply(calls=[Call("read_file", {"file_path": "numerals.py"})]),
        write("numerals.py", wrong),
        done("roman", []),
    )
    out_csv = tmp_path / "results.csv"
    code, out, err = await run_cli(
        "benchmark", "--prd-dir", str(SUITE), "--tier", "1", "--model", "fake/fake-large", "--parallel", "1",
        "--json", "-o", str(out_csv), cwd=tmp_path, timeout=240,
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    results = {r["case"]: r for r in report["results"]}
    assert set(results) == {"slugify", "roman"}
    assert results["slugify"]["acceptance"] is True and results["roman"]["acceptance"] is False
    assert "test_values" in results["roman"]["acceptance_output"]
    for r in results.values():
        assert (r["status"], r["stories_passed"], r["stories_total"], r["checks_passed"], r["iterations"]) == (
            "done", 1, 1, 1, 1,
        )  # fmt: skip
        assert r["input_tokens"] > 0 and r["wall_seconds"] > 0 and r["model"] == "fake/fake-large"
    (summary,) = report["summaries"]
    assert (summary["tier"], summary["cases"], summary["stories_passed"], summary["acceptance_passed"]) == (1, 2, 2, 1)
    assert summary["check_pass_rate"] == 1.0 and summary["cost_usd"] is None
    rows = list(csv.DictReader(out_csv.open()))
    assert [(r["case"], r["acceptance"]) for r in rows] == [("roman", "False"), ("slugify", "True")]
    # the hidden tests never reached an agent
    assert not any("test_acceptance" in json.dumps(r.body) for r in llm.requests)


async def test_benchmark_errors_are_one_line(tmp_path, cli):
    result = cli("benchmark", "--prd-dir", str(tmp_path / "none"))
    assert result.code == 1 and result.stderr.count("\n") == 1 and "no benchmark directory" in result.stderr
    only_one = tmp_path / "suite" / "tier1"
    shutil.copytree(SUITE / "tier1" / "roman", only_one / "roman")
    result = cli("benchmark", "--prd-dir", str(only_one.parent), "--tier", "2")
    assert result.code == 1 and result.stderr.count("\n") == 1
    assert f"no benchmark PRDs under {only_one.parent} for tier [2]" in result.stderr
    shutil.rmtree(only_one / "roman" / "acceptance")
    result = cli("benchmark", "--prd-dir", str(only_one.parent))
    assert result.code == 1 and "needs repo/ and acceptance/ beside prd.json" in result.stderr


async def test_priced_model_costs_and_the_cost_ceiling(llm, tmp_path, config_file):
    """A catalog model (prices known) served by the fake server: cost is counted and the ceiling stops spending."""
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[providers.openai]\nbase_url = "{llm.url}/v1"\n')
    (roman_id, roman_files), (slug_id, _) = SOLUTIONS["roman"][0], SOLUTIONS["slugify"][0]
    llm.route(
        key(roman_id),
        Reply(calls=[Call("read_file", {"file_path": "numerals.py"})], input_tokens=40_000, output_tokens=1_000),
        write("numerals.py", roman_files["numerals.py"]),
        done("roman", []),
    )
    code, out, err = await run_cli(
        "benchmark", "--prd-dir", str(SUITE), "--tier", "1", "--model", "openai/gpt-5-mini", "--cost-ceiling",
        "0.001", "--parallel", "1", cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test-0123456789"}, timeout=240,
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    roman = next(line for line in lines if "roman:" in line)
    # 40,000 input tokens at $0.25/M plus the small turns: a bit over one hundredth of a dollar
    assert "acceptance pass" in roman and "$0.01" in roman
    assert "tier 1  slugify: skipped (cost ceiling $0.001 reached ($0.01" in out
    assert not any(key(slug_id) in json.dumps(r.body) for r in llm.requests)


def script_solutions(llm, case: str) -> None:
    """Each story's agent writes the reference solution (reading a file first when it already exists)."""
    root = next(SUITE.glob(f"tier*/{case}"))
    existing = {p.relative_to(root / "repo").as_posix() for p in (root / "repo").rglob("*") if p.is_file()}
    for sid, files in SOLUTIONS[case]:
        replies = []
        for path, content in files.items():
            if path in existing:
                replies.append(Reply(calls=[Call("read_file", {"file_path": path})]))
            replies.append(write(path, content))
            existing.add(path)
        llm.route(key(sid), *replies, done(f"{sid} done", [f"{sid} learned something"]))


async def test_tiers_two_and_three_through_ralph_with_the_reference_solutions(llm, tmp_path, config_file):
    """Dependencies, several stories per case and the verification steps of the suite, all run for real."""
    configure(config_file, llm)
    for case in ("rpn", "inventory", "todo-cli", "wordfreq"):
        script_solutions(llm, case)
    code, out, err = await run_cli(
        "benchmark", "--prd-dir", str(SUITE), "--tier", "2", "--tier", "3", "--model", "fake/fake-large",
        "--json", cwd=tmp_path, timeout=400,
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    for r in report["results"]:
        assert (r["case"], r["status"], r["stories_passed"] == r["stories_total"], r["acceptance"]) == (
            r["case"], "done", True, True,
        ), (r["case"], r["error"])  # fmt: skip
    assert [(s["tier"], s["cases"], s["stories_passed"], s["acceptance_passed"]) for s in report["summaries"]] == [
        (2, 2, 5, 2),
        (3, 2, 6, 2),
    ]
