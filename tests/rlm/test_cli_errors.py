"""`codetether rlm` fails with one clear line, before or instead of a model call, and loses nothing."""

import socket
from pathlib import Path

from tests.fakes.llm import Call, Reply

from .support import configure, result_of, run_cli

ARGS = ("-m", "fake/fake-large")


def assert_one_line_error(code: int, err: str, *needles: str, exit_code: int = 2) -> None:
    assert code == exit_code, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


async def test_missing_file(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    code, _, err = await run_cli("rlm", "what?", "-f", "nope.log", *ARGS, cwd=tmp_path)
    assert_one_line_error(code, err, "no such file: nope.log")
    assert llm.requests == []


async def test_directory_and_binary_files(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    (tmp_path / "blob.bin").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    code, _, err = await run_cli("rlm", "what?", "-f", ".", *ARGS, cwd=tmp_path)
    assert_one_line_error(code, err, "is a directory")
    code, _, err = await run_cli("rlm", "what?", "-f", "blob.bin", *ARGS, cwd=tmp_path)
    assert_one_line_error(code, err, "blob.bin looks like a binary file")
    assert llm.requests == []


async def test_empty_content(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    (tmp_path / "empty.txt").write_text("\n  \n")
    code, _, err = await run_cli("rlm", "what?", "-f", "empty.txt", *ARGS, cwd=tmp_path)
    assert_one_line_error(code, err, "the content (empty.txt) is empty")
    code, _, err = await run_cli("rlm", "what?", "--content", "-", *ARGS, cwd=tmp_path, stdin=b"")
    assert_one_line_error(code, err, "the content (stdin) is empty")
    assert llm.requests == []


async def test_content_sources_are_exclusive_and_required(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    (tmp_path / "a.txt").write_text("a\n")
    code, _, err = await run_cli("rlm", "what?", "-f", "a.txt", "--content", "x", *ARGS, cwd=tmp_path)
    assert_one_line_error(code, err, "not both")
    code, _, err = await run_cli("rlm", "what?", *ARGS, cwd=tmp_path)
    assert_one_line_error(code, err, "no content given", "--content")
    code, _, err = await run_cli("rlm", "what?", "--content", "x", "--content-type", "poetry", *ARGS, cwd=tmp_path)
    assert code == 2 and "poetry" in err
    assert llm.requests == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_dead_provider(config_file, tmp_path: Path):
    configure(config_file, f"http://127.0.0.1:{closed_port()}")
    code, out, err = await run_cli("rlm", "what?", "--content", "some text", *ARGS, cwd=tmp_path)
    assert code != 0 and out == ""
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]  # after the provider layer's retry warnings
    assert last.startswith("error: ") and "cannot connect to 127.0.0.1" in last and "gave up" in last, err


async def test_no_answer_within_the_iteration_limit(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    llm.script(
        Reply(calls=[Call("rlm_head", {"n": 2})]),
        Reply(calls=[Call("rlm_tail", {"n": 2})]),
    )
    code, out, err = await run_cli(
        "rlm", "what?", "--content", "a\nb\nc\n", "--max-iterations", "2", *ARGS, cwd=tmp_path
    )
    assert_one_line_error(code, err, "no answer within 2 iterations", "--max-iterations", exit_code=3)
    assert out == "" and len(llm.requests) == 2


async def test_context_budget_is_enforced_and_the_model_told(llm, config_file, tmp_path):
    configure(config_file, llm.url)
    text = "".join(f"line {i} " + "x" * 60 + "\n" for i in range(2000))
    llm.script(
        Reply(calls=[Call("rlm_slice", {"start_line": 1, "end_line": 2000})]),
        Reply(calls=[Call("rlm_final", {"answer": "too much to read"})]),
        Reply(text="ok"),
    )
    code, out, err = await run_cli("rlm", "what?", "--content", "-", "--max-tokens", "500", "--json", *ARGS,
                                   cwd=tmp_path, stdin=text.encode())  # fmt: skip
    assert code == 0, err
    assert result_of(out)["answer"] == "too much to read"
    refused = llm.requests[1].body["messages"][-1]["content"]
    assert "only 500 of the run's 500 remain" in refused and "rlm_final" in refused
    assert "line 1 " not in refused
