"""`codetether run` carries hooks end to end: the model reads a denial, the user reads a failing hook."""

from tests.agent.test_run_e2e import events_of, run_cli
from tests.fakes.llm import Call, Reply


async def test_codetether_run_applies_a_deny_and_reports_a_broken_hook(hooked):
    hooked.add("pre_tool", "echo 'not on this branch' >&2; exit 2", matcher="bash")
    hooked.add("user_prompt", "exit 7")
    hooked.write_config()
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "touch made.txt"})]), Reply(text="fine"))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "jsonl", "go", cwd=hooked.repo)
    assert code == 0, err
    result = next(e for e in events_of(out) if e["type"] == "tool_result")
    assert result["is_error"] and "permission denied by a pre_tool hook: not on this branch" in result["output"]
    assert "user_prompt hook `exit 7` exited with code 7" in err
    assert not (hooked.repo / "made.txt").exists()
