"""`codetether rlm` as a subprocess against the fake LLM server over a 5 MB log: the scripted model counts,
greps, slices, sub-queries (a plain one and a nested RLM one) and answers; the JSON result is checked, and
the bytes sent to the model stay under 5% of the input."""

import json

from tests.fakes.llm import Call, Reply

from .support import INCIDENT, INCIDENT_LINE, configure, result_of, run_cli

RLM_TOOL_NAMES = {
    "rlm_head",
    "rlm_tail",
    "rlm_grep",
    "rlm_count",
    "rlm_slice",
    "rlm_chunks",
    "rlm_llm_query",
    "rlm_final",
}


def tool_names(body: dict) -> set[str]:
    return {t["function"]["name"] for t in body.get("tools", [])}


def tool_results(body: dict) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


async def test_rlm_explores_a_5_mb_log_and_answers_with_evidence(llm, config_file, tmp_path, big_log_text):
    configure(config_file, llm.url)
    log = tmp_path / "service.log"
    log.write_text(big_log_text)
    first, last = INCIDENT_LINE, INCIDENT_LINE + len(INCIDENT) - 1
    llm.script(
        # 1-5: the top-level run explores
        Reply(text="How many errors are there?", calls=[Call("rlm_count", {"pattern": "ERROR"})]),
        Reply(calls=[Call("rlm_grep", {"pattern": r"ERROR .*charge failed", "max_matches": 5})]),
        Reply(calls=[Call("rlm_slice", {"start_line": first, "end_line": last + 2})]),
        Reply(calls=[Call("rlm_chunks", {"max_tokens": 4000, "limit": 5})]),
        Reply(
            calls=[
                Call(
                    "rlm_llm_query",
                    {"query": "Why did the charge fail?", "start_line": first, "end_line": last},
                )
            ]
        ),
        # 6: the plain sub-query (no tools) reads that slice whole
        Reply(text="The card token for card 4412 had expired (line 31343); it was rotated at 17:40."),
        # 7: a sub-query over ~16k lines: too big to read whole, so a nested RLM run explores it
        Reply(
            calls=[
                Call(
                    "rlm_llm_query",
                    {"query": "Are there other payment errors here?", "start_line": 20_001, "end_line": 36_000},
                )
            ]
        ),
        # 8-10: the nested run (depth 1) greps its slice and answers
        Reply(calls=[Call("rlm_grep", {"pattern": "payments", "max_matches": 3})]),
        Reply(
            calls=[
                Call(
                    "rlm_final",
                    {
                        "answer": "Only one payment error in this slice.",
                        "evidence": [{"start_line": first - 20_000, "end_line": first - 20_000}],
                    },
                )
            ]
        ),
        Reply(text="Done."),
        # 11-12: the top-level run answers
        Reply(
            calls=[
                Call(
                    "rlm_final",
                    {
                        "answer": "The charge for merchant M-7781 failed because card 4412's token had expired.",
                        "evidence": [{"start_line": first, "end_line": last}],
                    },
                )
            ]
        ),
        Reply(text="Answered."),
    )
    code, out, err = await run_cli(
        "rlm", "Why did the payment for merchant M-7781 fail?", "-f", str(log), "-m", "fake/fake-large", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    result = result_of(out)
    assert set(result) == {"answer", "evidence", "iterations", "sub_queries", "stats", "content_type"}
    assert result["answer"] == "The charge for merchant M-7781 failed because card 4412's token had expired."
    assert result["content_type"] == "logs"
    assert result["iterations"] == 8  # model turns of the top-level run
    assert result["sub_queries"] == 2
    (evidence,) = result["evidence"]
    assert (evidence["start_line"], evidence["end_line"]) == (first, last)
    assert evidence["text"] == "\n".join(INCIDENT)
    stats = result["stats"]
    assert set(stats) == {"input_tokens", "output_tokens", "elapsed_ms", "compression_ratio"}
    assert stats["input_tokens"] == 12 * 12 and stats["output_tokens"] == 7 * 12  # the fake's usage, 12 requests
    assert stats["elapsed_ms"] >= 0 and stats["compression_ratio"] > 1

    requests = llm.requests
    assert len(requests) == 12
    # Every request of an RLM run offers exactly the rlm_* tools; the plain sub-query offers none.
    main = [0, 1, 2, 3, 4, 6, 10, 11]
    nested = [7, 8, 9]
    for i in main + nested:
        assert tool_names(requests[i].body) == RLM_TOOL_NAMES, i
    assert tool_names(requests[5].body) == set()
    # The tools answered from the content outside the context.
    results = tool_results(requests[4].body)
    assert results[0].startswith("1 of ") and f"first at line {first}" in results[0]
    assert f"{first:>7}: {INCIDENT[0]}" in results[1]
    assert "pay.vault.TokenExpired" in results[2]
    assert "chunks (logs)" in results[3] and " error " in results[3]
    # The plain sub-query saw the slice, numbered as in the whole content, and nothing else of it.
    excerpt = requests[5].body["messages"][-1]["content"]
    assert f"{last}: {INCIDENT[-1]}" in excerpt and "Why did the charge fail?" in excerpt
    assert len(excerpt) < 2000
    # The nested run was told it explores a slice, and its answer came back as the tool result.
    nested_prompt = requests[7].body["messages"][-1]["content"]
    assert "16000 lines" in nested_prompt and "line 1 is line 20001" in nested_prompt
    assert "Only one payment error in this slice." in tool_results(requests[10].body)[-1]
    assert "card 4412 had expired" in tool_results(requests[10].body)[-2]

    sent = sum(int(r.headers["Content-Length"]) for r in requests)
    size = log.stat().st_size
    assert sent < 0.05 * size, f"{sent} bytes sent to the model for {size} bytes of content"


async def test_rlm_reads_stdin_and_prints_text(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    llm.script(
        Reply(calls=[Call("rlm_grep", {"pattern": "(?i)deadline"})]),
        Reply(calls=[Call("rlm_final", {"answer": "Friday.", "evidence": [{"start_line": 2, "end_line": 2}]})]),
        Reply(text="ok"),
    )
    chat = "User: when is the release?\nAssistant: The deadline is Friday.\nUser: thanks\n"
    code, out, err = await run_cli(
        "rlm", "When is the deadline?", "--content", "-", "-m", "fake/fake-large", cwd=tmp_path, stdin=chat.encode()
    )
    assert code == 0, err
    assert out.splitlines() == ["Friday.", "", "Evidence:", "  line 2: Assistant: The deadline is Friday."]
    assert "conversation; 3 iterations, 0 sub-queries" in err
    first = llm.requests[0].body["messages"]
    assert "detected as conversation" in first[-1]["content"] and "3 lines" in first[-1]["content"]
    assert "The deadline is Friday" not in json.dumps(first)  # the content is not in the context


async def test_rlm_joins_several_files_with_headers(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    (tmp_path / "a.py").write_text("def a():\n    return 1\n")
    (tmp_path / "b.py").write_text("def b():\n    return 2")
    llm.script(
        Reply(calls=[Call("rlm_grep", {"pattern": "==>"})]),
        Reply(calls=[Call("rlm_final", {"answer": "two files"})]),
        Reply(text="ok"),
    )
    code, out, err = await run_cli(
        "rlm", "which files?", "-f", "a.py", "-f", "b.py", "-m", "fake/fake-large", "--json", cwd=tmp_path
    )
    assert code == 0, err
    grep = tool_results(llm.requests[1].body)[0]
    assert "      1: ==> a.py <==" in grep and "      4: ==> b.py <==" in grep
    assert result_of(out)["content_type"] == "code"
    assert "2 files" in llm.requests[0].body["messages"][-1]["content"]


async def test_the_agent_hands_a_huge_file_to_the_rlm_tool(llm, config_file, tmp_path, big_log_text):
    """`codetether run`: the agent calls `rlm` on a 5 MB log; a nested RLM run answers; the agent reports."""
    configure(config_file, llm.url)
    (tmp_path / "service.log").write_text(big_log_text)
    first = INCIDENT_LINE
    llm.script(
        Reply(calls=[Call("rlm", {"question": "Why did the M-7781 charge fail?", "file_path": "service.log"})]),
        Reply(calls=[Call("rlm_grep", {"pattern": "M-7781"})]),
        Reply(
            calls=[
                Call(
                    "rlm_final",
                    {"answer": "Card token expired.", "evidence": [{"start_line": first, "end_line": first + 6}]},
                )
            ]
        ),
        Reply(text="ok"),
        Reply(text="The charge failed because the card token had expired (service.log line 31337)."),
    )
    code, out, err = await run_cli(
        "run", "why did the M-7781 charge fail? see service.log", "-m", "fake/fake-large", "--format", "jsonl",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    result = next(e for e in events if e["type"] == "tool_result" and e["name"] == "rlm")
    assert not result["is_error"], result
    assert result["output"].startswith("Card token expired.\n\nEvidence:\n  lines 31337-31343: 2026-03-14 17:42:09")
    assert events[-1]["status"] == "submitted" and "token had expired" in events[-1]["text"]
    assert "rlm" in tool_names(llm.requests[0].body)
    assert tool_names(llm.requests[1].body) == RLM_TOOL_NAMES
    sent = sum(int(r.headers["Content-Length"]) for r in llm.requests)
    assert sent < 0.05 * len(big_log_text)


async def test_a_prose_answer_without_rlm_final_is_accepted_and_the_type_can_be_forced(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    (tmp_path / "notes.txt").write_text("def not_really_code():\n    pass\n")
    llm.script(
        Reply(calls=[Call("rlm_head", {"n": 1})]),
        Reply(text="It holds one function stub."),
    )
    code, out, err = await run_cli(
        "rlm", "what is this?", "-f", "notes.txt", "--content-type", "documents", "-m", "fake/fake-large", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    result = result_of(out)
    assert result["answer"] == "It holds one function stub." and result["evidence"] == []
    assert result["content_type"] == "documents" and result["iterations"] == 2
