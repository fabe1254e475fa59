"""user_prompt, session_start, stop and subagent_stop hooks around a whole run."""

import json

from tests.fakes.llm import Call, Fault, Reply


def user_text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


async def test_user_prompt_and_session_start_hooks_add_context_to_the_prompt(hooked):
    hooked.add("session_start", "echo 'branch policy: never push'")
    hooked.add("user_prompt", """echo '{"hookSpecificOutput": {"additionalContext": "ticket ABC-12 is open"}}'""")
    hooked.llm.script(Reply(text="ok"))
    await hooked.run("fix the bug")
    text = user_text(hooked.last_message(0))
    assert text.startswith("fix the bug")
    assert "branch policy: never push" in text
    assert "ticket ABC-12 is open" in text


async def test_the_user_prompt_hook_reads_the_prompt(hooked, tmp_path):
    seen = tmp_path / "prompt.json"
    hooked.add("user_prompt", hooked.script("seen", f"open({str(seen)!r}, 'w').write(sys.stdin.read())\n"))
    hooked.llm.script(Reply(text="ok"))
    await hooked.run("the prompt")
    payload = json.loads(seen.read_text())
    assert (payload["hook_event_name"], payload["prompt"]) == ("user_prompt", "the prompt")


async def test_a_user_prompt_hook_that_blocks_ends_the_run_before_any_model_request(hooked):
    hooked.add("user_prompt", "echo 'prompts may not mention prod' >&2; exit 2")
    finished = await hooked.run("deploy to prod")
    assert finished.status == "error"
    assert finished.error == "a user_prompt hook blocked the prompt: prompts may not mention prod"
    assert hooked.llm.requests == []


STOP_ONCE = """
payload = json.load(sys.stdin)
if not payload["stop_hook_active"]:
    print(json.dumps({"decision": "block", "reason": "run the tests before you finish"}))
"""


async def test_a_stop_hook_makes_the_agent_take_one_more_turn(hooked):
    hooked.add("stop", hooked.script("stop", STOP_ONCE))
    hooked.llm.script(Reply(text="done"), Reply(text="tests pass, done"))
    finished = await hooked.run()
    assert (finished.status, finished.text) == ("submitted", "tests pass, done")
    assert len(hooked.llm.requests) == 2
    assert "run the tests before you finish" in user_text(hooked.last_message(1))


async def test_a_stop_hook_that_never_lets_go_is_obeyed_three_times(hooked):
    hooked.add("stop", """echo '{"decision": "block", "reason": "keep going"}'""")
    hooked.llm.script(*(Reply(text=f"answer {n}") for n in range(6)))
    finished = await hooked.run()
    assert (finished.status, finished.text) == ("submitted", "answer 3")
    assert len(hooked.llm.requests) == 4


async def test_a_task_sub_agent_fires_subagent_stop_and_not_stop(hooked, tmp_path):
    log = tmp_path / "events.log"
    record = hooked.script("record", f"open({str(log)!r}, 'a').write(json.load(sys.stdin)['hook_event_name'] + ' ')\n")
    for event in ("session_start", "user_prompt", "stop", "subagent_stop"):
        hooked.add(event, record)
    hooked.llm.route('"content": "SUB-PROMPT"', Reply(text="sub done"))
    hooked.llm.script(Reply(calls=[Call("task", {"description": "d", "prompt": "SUB-PROMPT"})]), Reply(text="ok"))
    await hooked.run()
    # The parent's start, then the sub-agent's end, then the parent's end.
    assert log.read_text().split() == ["session_start", "user_prompt", "subagent_stop", "stop"]


async def test_a_pre_compact_hook_runs_before_the_context_is_shortened(hooked, tmp_path):
    seen = tmp_path / "compact.json"
    hooked.add("pre_compact", hooked.script("compact", f"open({str(seen)!r}, 'w').write(sys.stdin.read())\n"))
    hooked.llm.script(Fault("context_length"), Reply(text="## Task\nx"), Reply(text="fits now"))
    finished = await hooked.run()
    assert finished.status == "submitted"
    payload = json.loads(seen.read_text())
    assert (payload["hook_event_name"], payload["trigger"]) == ("pre_compact", "overflow")
