"""The rlm_* tools through the real ToolRunner, on a store of real content, with their limits."""

import asyncio
import json
from pathlib import Path

import pytest

from codetether.providers.types import ToolCall
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.context import ToolContext
from codetether.tools.registry import RLM_TOOLS, builtin_tools
from codetether.tools.rlm_store import CURRENT, RlmLimits, RlmStore
from codetether.tools.runner import ToolRunner

LOG = Path(__file__).resolve().parents[1] / "fixtures" / "chunker" / "service.log"


@pytest.fixture
def runner(tmp_path: Path) -> ToolRunner:
    context = ToolContext.local(tmp_path, PermissionPolicy(AccessMode.FULL))
    return ToolRunner(builtin_tools(RLM_TOOLS), context)


class Asked:
    """The sub-query service an RLM run supplies: here it records what it was asked and answers plainly."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, int]] = []

    async def __call__(self, question: str, text: str, first: int, depth: int) -> str:
        self.calls.append((question, text, first, depth))
        return f"answer about {len(text.splitlines())} lines"


async def call(runner: ToolRunner, store: RlmStore | None, name: str, **arguments) -> tuple[str, bool]:
    token = CURRENT.set(store)
    try:
        outcome = await runner.run(ToolCall(id="c1", name=name, arguments=json.dumps(arguments)))
    finally:
        CURRENT.reset(token)
    return outcome.output, outcome.is_error


def log_store(**limits) -> RlmStore:
    return RlmStore(LOG.read_text(), "logs", limits=RlmLimits(**limits), ask=Asked())


async def test_tools_need_an_rlm_run(runner):
    out, error = await call(runner, None, "rlm_head")
    assert error and "only inside an RLM run" in out


async def test_head_tail_slice_number_lines(runner):
    store = log_store()
    lines = store.lines
    out, _ = await call(runner, store, "rlm_head", n=2)
    assert out.splitlines() == [f"      1: {lines[0]}", f"      2: {lines[1]}", f"(lines 1-2 of {len(lines)})"]
    out, _ = await call(runner, store, "rlm_tail", n=1)
    assert out.splitlines()[0] == f"{len(lines):>7}: {lines[-1]}"
    out, _ = await call(runner, store, "rlm_slice", start_line=41, end_line=43)
    assert "ERROR" in out.splitlines()[0] and "Traceback" in out.splitlines()[1]
    out, error = await call(runner, store, "rlm_slice", start_line=9999, end_line=10000)
    assert error and "past the end" in out
    out, error = await call(runner, store, "rlm_slice", start_line=5, end_line=4)
    assert error and "bad line range" in out


async def test_grep_count_regex_literal_and_context(runner):
    store = log_store()
    out, _ = await call(runner, store, "rlm_count", pattern=r"ERROR \[")
    assert out.startswith("5 of 300 lines match") and "first at line 41" in out
    out, _ = await call(runner, store, "rlm_grep", pattern="zerodivisionerror", ignore_case=True, context=1)
    numbers = [int(line.split(":")[0]) for line in out.splitlines() if line.strip()[:1].isdigit()]
    hits = [i + 1 for i, line in enumerate(store.lines) if "ZeroDivisionError" in line]
    assert len(hits) == 3
    assert numbers == [n for hit in hits for n in (hit - 1, hit, hit + 1)]  # each hit with a line either side
    out, _ = await call(runner, store, "rlm_grep", pattern="StockClient.fetch(")  # not a regex: searched literally
    assert "2 matching lines" in out
    out, _ = await call(runner, store, "rlm_grep", pattern="INFO", max_matches=3)
    assert "showing the first 3" in out
    out, _ = await call(runner, store, "rlm_grep", pattern="no such thing")
    assert out == "no line matches 'no such thing' (of 300 lines)"
    out, error = await call(runner, store, "rlm_grep", pattern="")
    assert error


async def test_chunks_lists_errors_first(runner):
    store = log_store()
    out, _ = await call(runner, store, "rlm_chunks", max_tokens=300, limit=3)
    rows = out.splitlines()
    assert rows[0].startswith("26 chunks (logs)") or "chunks (logs)" in rows[0]
    assert all(" error " in row for row in rows[1:4])
    assert rows[-1].endswith("raise limit or use order=source)")


async def test_long_lines_and_output_are_cut(runner):
    store = RlmStore("x" * 1000 + "\n" + "short\n" * 5000, "mixed", limits=RlmLimits(output_chars=2000))
    out, _ = await call(runner, store, "rlm_head", n=1)
    assert out.startswith("      1: " + "x" * 400 + " [... 600 more characters]")
    out, _ = await call(runner, store, "rlm_head", n=2000)
    assert "output cut at 2000 characters" in out and len(out) < 2200


async def test_context_budget_spans_calls(runner):
    store = log_store(context_tokens=300)
    out, error = await call(runner, store, "rlm_head", n=10)
    assert not error
    out, error = await call(runner, store, "rlm_head", n=10)
    assert error and "remain" in out and "rlm_final" in out


async def test_sub_queries_are_bounded_in_count_size_and_total(runner):
    store = log_store(max_sub_queries=2, sub_query_tokens=300, sub_query_total_tokens=300, max_depth=1)
    asked = store.ask
    out, error = await call(runner, store, "rlm_llm_query", query="what failed?", start_line=41, end_line=49)
    assert not error and out == "[sub-query over lines 41-49]\nanswer about 9 lines"
    assert asked.calls[0][2:] == (41, 0) and asked.calls[0][1].startswith("2026-03-14")
    out, error = await call(runner, store, "rlm_llm_query", query="all?", start_line=1, end_line=300)
    assert error and "at this depth a sub-query reads at most 300" in out  # depth 0 is the last level
    out, error = await call(runner, store, "rlm_llm_query", query="more", start_line=50, end_line=60)
    assert error and "tokens in all" in out
    out, error = await call(runner, store, "rlm_llm_query", query="small", start_line=50, end_line=51)
    assert not error
    out, error = await call(runner, store, "rlm_llm_query", query="again", start_line=50, end_line=51)
    assert error and "2 sub-queries of this run are used up" in out
    assert store.budget.sub_queries == 2 and len(asked.calls) == 2


async def test_a_large_slice_goes_down_a_level_while_depth_allows(runner):
    store = log_store(sub_query_tokens=300, max_depth=2)
    out, error = await call(runner, store, "rlm_llm_query", query="summarise", start_line=1, end_line=300)
    assert not error and "answer about 300 lines" in out
    assert store.budget.sub_query_tokens == 0  # explored by a nested run, not read whole


async def test_final_records_answer_and_evidence(runner):
    store = log_store()
    out, error = await call(runner, store, "rlm_final", answer="  ", evidence=[])
    assert error and store.final is None
    out, error = await call(runner, store, "rlm_final", answer="x", evidence=[{"start_line": 400, "end_line": 401}])
    assert error and "past the end" in out and store.final is None
    out, error = await call(
        runner, store, "rlm_final", answer=" Division by zero. ", evidence=[{"start_line": 41, "end_line": 49}]
    )
    assert not error and "Answer recorded" in out
    assert store.final.answer == "Division by zero."
    (evidence,) = store.final.evidence
    assert evidence.text.splitlines()[-1] == "ZeroDivisionError: division by zero"


async def test_a_pathological_pattern_cannot_stall_the_run(runner):
    """ripgrep's linear-time engine answers where Python's backtracking `re` would run for ages."""
    store = RlmStore(("a" * 60 + "b\n") * 3 + "x\x00y\n", "mixed")
    out, error = await asyncio.wait_for(call(runner, store, "rlm_count", pattern="(a+)+$"), 60)
    assert not error and out.startswith("0 of 4 lines match")
    out, _ = await call(runner, store, "rlm_grep", pattern="x\x00y")
    assert "      4: x\x00y" in out  # a NUL byte does not make it a "binary file"
