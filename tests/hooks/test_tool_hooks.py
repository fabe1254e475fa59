"""pre_tool and post_tool hooks, as real scripts around real tool calls the fake model asks for."""

import json

from tests.fakes.llm import Call, Reply


async def test_a_pre_tool_hook_that_exits_2_denies_the_call_and_the_model_reads_its_stderr(hooked):
    hooked.add("pre_tool", "echo 'no files are created in this repo' >&2; exit 2", matcher="bash")
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "touch made.txt"})]), Reply(text="understood"))
    finished = await hooked.run()
    assert finished.status == "submitted"
    result = hooked.last_message(1)
    assert result["role"] == "tool"
    assert "permission denied by a pre_tool hook: no files are created in this repo" in result["content"]
    assert not (hooked.repo / "made.txt").exists()


async def test_a_pre_tool_hook_denies_with_a_json_permission_decision(hooked):
    deny = hooked.script(
        "deny",
        """
        print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                          "permissionDecisionReason": "use the edit tool instead"}}))
        """,
    )
    hooked.add("pre_tool", deny, matcher="bash|write_file")
    hooked.llm.script(
        Reply(calls=[Call("write_file", {"file_path": "new.txt", "content": "x"})]), Reply(text="will do")
    )
    await hooked.run()
    assert "permission denied by a pre_tool hook: use the edit tool instead" in hooked.last_message(1)["content"]
    assert not (hooked.repo / "new.txt").exists()


async def test_a_pre_tool_hook_rewrites_the_arguments_the_tool_runs_with(hooked, tmp_path):
    seen = tmp_path / "payload.json"
    rewrite = hooked.script(
        "rewrite",
        f"""
        payload = json.load(sys.stdin)
        open({str(seen)!r}, "w").write(json.dumps(payload))
        command = payload["tool_input"]["command"].replace("original", "rewritten")
        print(json.dumps({{"hookSpecificOutput": {{"updatedInput": {{"command": command}}}}}}))
        """,
    )
    hooked.add("pre_tool", rewrite, matcher="bash")
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "echo original > out.txt"})]), Reply(text="done"))
    await hooked.run()
    assert (hooked.repo / "out.txt").read_text() == "rewritten\n"
    payload = json.loads(seen.read_text())
    assert payload["hook_event_name"] == "pre_tool"
    assert payload["tool_name"] == "bash"
    assert payload["tool_input"] == {"command": "echo original > out.txt"}
    assert payload["cwd"] == str(hooked.repo)
    assert payload["session_id"] and payload["transcript_path"].endswith(".jsonl")


async def test_a_rewrite_into_invalid_arguments_is_an_error_the_model_reads(hooked):
    hooked.add("pre_tool", """echo '{"hookSpecificOutput": {"updatedInput": {"cmd": 1}}}'""", matcher="bash")
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "touch made.txt"})]), Reply(text="ok"))
    await hooked.run()
    assert "a pre_tool hook rewrote the arguments of bash into invalid ones" in hooked.last_message(1)["content"]
    assert not (hooked.repo / "made.txt").exists()


async def test_the_matcher_picks_the_tools_a_hook_runs_for(hooked):
    hooked.add("pre_tool", "echo 'bash only' >&2; exit 2", matcher="bash")
    hooked.llm.script(Reply(calls=[Call("list_dir", {})]), Reply(text="ok"))
    await hooked.run()
    assert "README.md" in hooked.last_message(1)["content"]


async def test_a_post_tool_hook_adds_context_after_the_output(hooked, tmp_path):
    seen = tmp_path / "post.json"
    note = hooked.script(
        "note",
        f"""
        payload = json.load(sys.stdin)
        open({str(seen)!r}, "w").write(json.dumps(payload))
        print(json.dumps({{"hookSpecificOutput": {{"additionalContext": "lint: 0 problems"}}}}))
        """,
    )
    hooked.add("post_tool", note, matcher="*")
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "echo hello"})]), Reply(text="ok"))
    await hooked.run()
    content = hooked.last_message(1)["content"]
    assert content.index("hello") < content.index("[post_tool hook]\nlint: 0 problems")
    assert "hello" in json.loads(seen.read_text())["tool_response"]["output"]


async def test_hooks_get_the_tool_environment_without_secrets(hooked, tmp_path):
    env_file = tmp_path / "env.json"
    dump = hooked.script("env", f"open({str(env_file)!r}, 'w').write(json.dumps(dict(os.environ)))\n")
    hooked.add("pre_tool", dump)
    hooked.llm.script(Reply(calls=[Call("list_dir", {})]), Reply(text="ok"))
    environ = {"PATH": "/usr/bin:/bin", "MARKER": "kept", "OPENAI_API_KEY": "sk-not-for-hooks"}
    await hooked.run(environ=environ)
    env = json.loads(env_file.read_text())
    assert env["MARKER"] == "kept"
    assert "OPENAI_API_KEY" not in env
    assert env["CODETETHER_PROJECT_DIR"] == str(hooked.repo)


async def test_a_pre_tool_ask_in_a_run_that_cannot_ask_is_a_denial(hooked):
    hooked.add("pre_tool", """echo '{"hookSpecificOutput": {"permissionDecision": "ask"}}'""", matcher="bash")
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "touch made.txt"})]), Reply(text="ok"))
    await hooked.run()
    assert "a pre_tool hook asks for confirmation" in hooked.last_message(1)["content"]
    assert not (hooked.repo / "made.txt").exists()


async def test_a_pre_tool_ask_puts_the_call_to_the_user_even_in_full_access(hooked):
    asked = []

    async def answer(request):
        asked.append(request)
        return "no" if "made" in request.subject else "yes"

    reason = """echo '{"hookSpecificOutput": {"permissionDecision": "ask", "permissionDecisionReason": "%s"}}'"""
    hooked.add("pre_tool", reason % "creates made.txt", matcher="bash")
    hooked.llm.script(Reply(calls=[Call("bash", {"command": "touch made.txt"})]), Reply(text="ok"))
    await hooked.run(ask=answer)
    assert [(r.tool, r.subject) for r in asked] == [("bash", "creates made.txt")]
    assert "the user declined bash (creates made.txt)" in hooked.last_message(1)["content"]
    assert not (hooked.repo / "made.txt").exists()
