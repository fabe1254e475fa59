"""The PRD benchmark: Ralph on each benchmark PRD's starter repository, per model, scored by hidden tests.

A case is a directory under ``--prd-dir`` (``tier{N}/{name}/``) holding ``prd.json``, ``repo/`` (the
starter repository) and ``acceptance/`` (tests the agents never see). Each run copies the starter
into a fresh git repository in a temporary directory, runs Ralph there, then copies the acceptance
tests in and runs them with pytest. Per model and tier it reports stories passed, the quality-check
pass rate, acceptance, iterations, tokens, cost and wall time. Nothing about a model is assumed:
what it scores is what it did.
"""

import asyncio
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from ..errors import CodetetherError
from ..runtime import Runtime
from ..security.toolenv import pass_env_of, tool_environment
from ..swarm.worktree import git
from .checks import run_command, trim
from .loop import Ralph, RalphOptions
from .validate import load

_TIER = re.compile(r"^tier(\d+)$")
ACCEPTANCE_DIR = "ralph_acceptance"
ACCEPTANCE_TIMEOUT = 300.0


class Case(msgspec.Struct, kw_only=True):
    name: str
    tier: int
    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)


class CaseResult(msgspec.Struct, kw_only=True):
    case: str
    tier: int
    model: str
    status: str  # done | skipped (cost ceiling) | error (Ralph could not run)
    stories_passed: int = 0
    stories_total: int = 0
    checks_passed: int = 0
    checks_total: int = 0
    acceptance: bool = False
    acceptance_output: str = ""
    iterations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    wall_seconds: float = 0.0
    error: str = ""


class Summary(msgspec.Struct, kw_only=True):
    model: str
    tier: int
    cases: int
    stories_passed: int
    stories_total: int
    check_pass_rate: float | None
    acceptance_passed: int
    iterations: int
    tokens: int
    cost_usd: float | None
    wall_seconds: float


class BenchmarkReport(msgspec.Struct, kw_only=True):
    results: list[CaseResult]
    summaries: list[Summary]


def discover(prd_dir: Path, tiers: set[int] | None = None) -> list[Case]:
    """The benchmark cases under ``prd_dir``, by tier then name (each PRD validated up front)."""
    if not prd_dir.is_dir():
        raise CodetetherError(f"no benchmark directory at {prd_dir}", "pass --prd-dir with the suite (benchmarks/)")
    cases = []
    for tier_dir in sorted(prd_dir.iterdir()):
        match = _TIER.match(tier_dir.name)
        if not match or not tier_dir.is_dir() or (tiers and int(match.group(1)) not in tiers):
            continue
        for case_dir in sorted(p for p in tier_dir.iterdir() if (p / "prd.json").is_file()):
            if not (case_dir / "repo").is_dir() or not (case_dir / "acceptance").is_dir():
                raise CodetetherError(f"benchmark case {case_dir} needs repo/ and acceptance/ beside prd.json")
            load(case_dir / "prd.json")
            cases.append(Case(name=case_dir.name, tier=int(match.group(1)), path=str(case_dir.resolve())))
    if not cases:
        raise CodetetherError(
            f"no benchmark PRDs under {prd_dir}" + (f" for tier {sorted(tiers)}" if tiers else ""),
            "cases live in tier1/, tier2/, tier3/: each a prd.json with repo/ and acceptance/",
        )
    return cases


async def _prepare(case: Case, where: Path) -> Path:
    repo = where / case.name
    shutil.copytree(case.root / "repo", repo)
    shutil.copy2(case.root / "prd.json", repo / "prd.json")
    await git("init", "-q", "-b", "main", cwd=repo)
    await git("add", "-A", cwd=repo)
    identity = ["-c", "user.name=CodeTether benchmark", "-c", "user.email=benchmark@localhost"]
    await git(*identity, "commit", "-q", "-m", f"starter: {case.name}", cwd=repo)
    return repo


async def run_case(runtime: Runtime, case: Case, model: str, options: RalphOptions, where: Path) -> CaseResult:
    started = time.monotonic()
    result = CaseResult(case=case.name, tier=case.tier, model=model, status="done")
    repo = await _prepare(case, where)
    try:
        ralph = Ralph(runtime, repo / "prd.json", msgspec.structs.replace(options, model=model), cwd=repo)
        report = await ralph.run()
    except CodetetherError as exc:
        result.status, result.error = "error", str(exc)
        result.wall_seconds = time.monotonic() - started
        return result
    result.stories_passed, result.stories_total = report.passed, report.total
    failures = [f"{s.id}: {s.error}" for s in report.stories if s.error]
    result.error = failures[0][:300] if failures else ""  # the first reason, for a quick diagnosis
    for story in report.stories:
        result.checks_passed += sum(c.ok for c in story.checks)
        result.checks_total += len(story.checks)
        result.iterations += story.iterations
    result.input_tokens, result.output_tokens, result.cost_usd = (
        report.input_tokens,
        report.output_tokens,
        report.cost_usd,
    )
    # The hidden tests arrive only now, beside whatever the agents left in the tree.
    shutil.copytree(case.root / "acceptance", repo / ACCEPTANCE_DIR)
    env = tool_environment(runtime.environ, pass_env_of(runtime.config))
    # One line per failing test (-rf, no tracebacks) and no plugin deprecation chatter: the report keeps a
    # trimmed excerpt, and a long warning at the top pushed the failing tests' names out of it.
    command = (
        f"{sys.executable} -m pytest -q --tb=no -rf -p no:cacheprovider -W ignore::pytest.PytestDeprecationWarning"
        f" --rootdir=. {ACCEPTANCE_DIR}"
    )
    code, output = await run_command(command, repo, env, ACCEPTANCE_TIMEOUT)
    result.acceptance = code == 0
    result.acceptance_output = trim(output, 300, 1200)
    result.wall_seconds = time.monotonic() - started
    return result


def summarise(results: list[CaseResult]) -> list[Summary]:
    groups: dict[tuple[str, int], list[CaseResult]] = {}
    for r in results:
        groups.setdefault((r.model, r.tier), []).append(r)
    summaries = []
    for (model, tier), rows in sorted(groups.items()):
        checks = sum(r.checks_total for r in rows)
        costs = [r.cost_usd for r in rows if r.cost_usd is not None]
        summaries.append(
            Summary(
                model=model,
                tier=tier,
                cases=len(rows),
                stories_passed=sum(r.stories_passed for r in rows),
                stories_total=sum(r.stories_total for r in rows),
                check_pass_rate=sum(r.checks_passed for r in rows) / checks if checks else None,
                acceptance_passed=sum(r.acceptance for r in rows),
                iterations=sum(r.iterations for r in rows),
                tokens=sum(r.input_tokens + r.output_tokens for r in rows),
                cost_usd=sum(costs) if costs else None,
                wall_seconds=sum(r.wall_seconds for r in rows),
            )
        )
    return summaries


async def run_benchmark(
    runtime: Runtime,
    cases: list[Case],
    models: list[str],
    options: RalphOptions,
    *,
    cost_ceiling: float | None = None,
    keep: Path | None = None,
) -> BenchmarkReport:
    """Every case for every model, one after another; a model past ``cost_ceiling`` (USD) skips the rest."""
    results: list[CaseResult] = []
    for model in models:
        spent = 0.0
        for case in cases:
            if cost_ceiling is not None and spent >= cost_ceiling:
                results.append(
                    CaseResult(
                        case=case.name,
                        tier=case.tier,
                        model=model,
                        status="skipped",
                        error=f"cost ceiling ${cost_ceiling:g} reached (${spent:.4f} spent)",
                    )
                )
                continue
            where = Path(tempfile.mkdtemp(prefix="codetether-bench-", dir=keep))
            try:
                result = await run_case(runtime, case, model, options, where)
            finally:
                if keep is None:
                    await asyncio.to_thread(shutil.rmtree, where, True)
            spent += result.cost_usd or 0.0
            results.append(result)
    return BenchmarkReport(results=results, summaries=summarise(results))
