"""Every surface builds its agent through the runtime, so the same spec gets the same agent.

Each test drives one real surface (`codetether run`, the `task` sub-agent, `codetether swarm`, the
A2A executor behind a live peer) against the fake LLM server, with a signed plugin installed and
step limits in the config, and checks the three things the runtime makes uniform: the tools the
model is offered (built-ins for that role plus the plugin), the audit records (a session start and
each tool call under the surface's actor), and the step limit.
"""

import io
import json

import aiohttp
import msgspec
import pytest

from codetether.a2a.server.agent_executor import AgentExecutor
from codetether.bus import AgentBus, Follower
from codetether.cli.render import JsonLinesRenderer
from codetether.cli.swarm_view import SwarmView
from codetether.config import load_config
from codetether.config.schema import A2ASection
from codetether.events import ToolOutput
from codetether.plugins.manifest import generate_key, sign
from codetether.plugins.store import install
from codetether.providers.types import Message
from codetether.runtime import SUB_AGENT_TOOLS, AgentSpec, Runtime
from codetether.security.audit import AuditLog, AuditQuery, query
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from codetether.swarm.orchestrator import SUBAGENT_TOOLS, Swarm, SwarmOptions
from codetether.tools.registry import BUILTIN_TOOLS
from tests.agent.test_run_e2e import events_of, run_cli
from tests.fakes.llm import Call, Reply
from tests.security.test_plugins import make_plugin

MAX_STEPS = 3
SUBAGENT_MAX_STEPS = 2


@pytest.fixture
def configured(llm, git_repo, tmp_path, config_file, data_dir):
    """The fake provider, step limits, full access, and the signed `greet` plugin installed."""
    private, public = generate_key()
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n\n'
        f'[agent]\naccess_mode = "full"\nmax_steps = {MAX_STEPS}\nsubagent_max_steps = {SUBAGENT_MAX_STEPS}\n\n'
        f'[plugins.trusted_keys]\nexample = "{public}"\n'
    )
    plugin = make_plugin(tmp_path)
    sign(plugin, private)
    install(plugin, load_config(cwd=git_repo).config)
    return git_repo


def tools_offered(request) -> set[str]:
    return {tool["function"]["name"] for tool in request.body.get("tools", [])}


def audit(action: str) -> list:
    return query(AuditQuery(action=action, limit=1000))


def loop(tool: str, times: int) -> list[Reply]:
    return [Reply(calls=[Call(tool, {})]) for _ in range(times)]


async def test_run(llm, configured):
    llm.script(*loop("list_dir", MAX_STEPS + 2))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "jsonl", "go", cwd=configured)
    assert code == 3, err  # stopped at the step limit
    session = events_of(out)[0]["session_id"]
    assert len(llm.requests) == MAX_STEPS
    assert tools_offered(llm.requests[0]) == {*BUILTIN_TOOLS, "greet"}
    actor = f"session:{session}"
    assert [r.actor for r in audit("session.start")] == [actor]
    assert [r.actor for r in audit("tool.list_dir")] == [actor] * MAX_STEPS


async def test_task_sub_agent(llm, configured):
    # The sub-agent's first request holds its prompt as a user message; the parent's holds it only
    # inside the task call's (escaped) arguments, so this key routes the sub-agent's requests alone.
    llm.route('"content": "SUB-PROMPT"', *loop("list_dir", SUBAGENT_MAX_STEPS + 2))
    llm.script(Reply(calls=[Call("task", {"description": "look around", "prompt": "SUB-PROMPT"})]), Reply(text="ok"))
    code, out, err = await run_cli("run", "--model", "fake/fake-large", "--format", "jsonl", "go", cwd=configured)
    assert code == 0, err
    parent = f"session:{events_of(out)[0]['session_id']}"
    child = [r for r in llm.requests if '"content": "SUB-PROMPT"' in json.dumps(r.body)]
    assert len(child) == SUBAGENT_MAX_STEPS  # the config's limit, not an environment variable
    assert tools_offered(child[0]) == {*SUB_AGENT_TOOLS, "greet"}
    starts = [r.actor for r in audit("session.start")]
    assert len(starts) == 2
    assert starts[0] == parent
    assert starts[1].startswith(f"{parent}/task:ses_")
    assert [r.actor for r in audit("tool.list_dir")] == [starts[1]] * SUBAGENT_MAX_STEPS
    result = next(e for e in events_of(out) if e["type"] == "tool_result" and e["name"] == "task")
    assert result["output"].startswith("[sub-agent stopped: max_steps]")


async def test_swarm_sub_agent(llm, configured):
    plan = {"subtasks": [{"name": "solo", "instruction": "Look around", "specialty": "any"}]}
    llm.route("You are the planner", Reply(text=json.dumps(plan)))
    llm.route("Your subtask 'solo'", *loop("list_dir", SUBAGENT_MAX_STEPS + 2))
    code, out, err = await run_cli(
        "swarm", "--model", "fake/fake-large", "--json", "--max-steps", str(SUBAGENT_MAX_STEPS), "go", cwd=configured
    )
    report = json.loads(out)
    assert code == 1 and report["subtasks"][0]["status"] == "failed", err  # it used all its steps
    agent = [r for r in llm.requests if "Your subtask 'solo'" in json.dumps(r.body)]
    assert len(agent) == SUBAGENT_MAX_STEPS
    assert tools_offered(agent[0]) == {*SUBAGENT_TOOLS, "greet"}  # plugins load here too now
    actor = f"swarm:{report['swarm_id']}/solo"
    assert [r.actor for r in audit("session.start")] == [actor]  # and the session start is audited
    assert [r.actor for r in audit("tool.list_dir")] == [actor] * SUBAGENT_MAX_STEPS


async def test_a2a_executor(llm, configured, tmp_path):
    llm.script(*loop("list_dir", MAX_STEPS + 2))
    bus = AgentBus()  # shared, as `codetether serve` shares it: the bus stream shows the agent's runs
    watcher = bus.subscribe("agent.#")
    executor = AgentExecutor(load_config(cwd=configured), configured, model="fake/fake-large", bus=bus)
    token = "runtime-surface-token-0123456789"
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0),
        executor,
        TokenAuth(token),
        audit=AuditLog(tmp_path / "a2a"),
        bus=bus,
        grpc=False,
    )
    try:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "SendMessage",
            "params": {"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "go"}]}},
        }
        headers = {"Authorization": f"Bearer {token}", "A2A-Version": "1.0"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(peer.addresses.http_url + "/", json=body, headers=headers) as reply,
        ):
            task = (await reply.json())["result"]["task"]
    finally:
        await peer.stop()
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"  # the step limit, as for `run`
    assert len(llm.requests) == MAX_STEPS
    assert tools_offered(llm.requests[0]) == {*BUILTIN_TOOLS, "greet"}
    (start,) = audit("session.start")
    assert start.actor.startswith("session:")
    assert [r.actor for r in audit("tool.list_dir")] == [start.actor] * MAX_STEPS
    kinds = [type(e.message).__name__ for e in watcher.poll()]
    assert kinds[0] == "SessionStarted" and kinds[-1] == "Finished" and kinds.count("ToolCallStarted") == MAX_STEPS


async def test_a_bus_subscriber_sees_what_the_renderers_see(llm, configured):
    """`run`'s renderer and the swarm view are bus subscribers: any other subscriber gets the same events."""
    llm.route("Your subtask 'solo'", Reply(calls=[Call("bash", {"command": "echo hi"})]), Reply(text="solo done"))
    llm.route("You are the planner", Reply(text=json.dumps({"subtasks": [{"name": "solo", "instruction": "x"}]})))
    llm.script(Reply(text="Looking.", calls=[Call("bash", {"command": "echo hello"})]), Reply(text="Done."))
    async with Runtime(load_config(cwd=configured)) as runtime:
        observer = runtime.bus.subscribe("#")  # e.g. GET /v1/bus/stream, a TUI, a worker

        out = io.StringIO()
        run = runtime.agent(AgentSpec(workspace=str(configured), model="fake/fake-large", plugins=False))
        renderer = JsonLinesRenderer(out)
        async with Follower(runtime.bus, run.topic, lambda envelope: renderer(envelope.message)):
            await run.run(Message.user("say hello"))
        seen = [e.message for e in observer.poll() if e.topic == run.topic]
        rendered = out.getvalue().splitlines()
        assert any(isinstance(event, ToolOutput) for event in seen)  # live output travels the bus too
        expected = [json.dumps(json.loads(line)) for line in rendered]
        published = [e for e in seen if not isinstance(e, ToolOutput)]
        assert [json.dumps(json.loads(msgspec.json.encode(e))) for e in published] == expected
        assert json.loads(rendered[-1])["type"] == "done"

        swarm = Swarm(runtime, SwarmOptions(task="go", access_mode="full"), cwd=configured, model="fake/fake-large")
        view = SwarmView(tty=False, out=io.StringIO())
        handled = []

        def handle(envelope):
            handled.append(envelope)
            view.handle(envelope)

        async with Follower(runtime.bus, f"{swarm.topic}.#", handle):
            report = await swarm.run()
        assert report.status == "done", report
        swarm_events = [e for e in observer.poll() if e.topic == swarm.topic or e.topic.startswith(swarm.topic + ".")]
        assert [e.id for e in swarm_events] == [e.id for e in handled]
        assert {e.topic for e in handled} == {swarm.topic, f"{swarm.topic}.solo"}
        assert "✓ solo" in view.out.getvalue()


def test_a_default_model_that_names_its_provider(configured, config_file):
    """The seed documents CODETETHER_DEFAULT_MODEL=moonshotai/kimi-k2.5: the provider comes from the model."""
    loaded = load_config(cwd=configured, environ={"CODETETHER_DEFAULT_MODEL": "moonshotai/kimi-k2.5"})
    assert Runtime(loaded).default_model() == "moonshotai/kimi-k2.5"
    chosen = load_config(
        cwd=configured,
        environ={"CODETETHER_DEFAULT_MODEL": "moonshotai/kimi-k2.5", "CODETETHER_DEFAULT_PROVIDER": "openrouter"},
    )
    assert Runtime(chosen).default_model() == "openrouter/moonshotai/kimi-k2.5"  # a provider the user chose wins


async def test_tool_processes_start_from_the_runtimes_environment(llm, configured):
    """The runtime resolves the environment once; the bash tool takes it from there, secrets dropped."""
    llm.script(Reply(calls=[Call("bash", {"command": "echo marker=$MARKER key=$OPENAI_API_KEY"})]), Reply(text="ok"))
    environ = {"PATH": "/usr/bin:/bin", "MARKER": "from-the-runtime", "OPENAI_API_KEY": "sk-not-for-tools"}
    async with Runtime(load_config(cwd=configured), environ=environ) as runtime:
        run = runtime.agent(AgentSpec(workspace=str(configured), model="fake/fake-large", plugins=False))
        await run.run(Message.user("go"))
    tool_result = llm.requests[1].body["messages"][-1]["content"]
    assert "marker=from-the-runtime key=\n" in tool_result


async def test_resuming_from_another_directory_works_in_the_sessions_workspace(llm, configured, tmp_path):
    llm.script(Reply(text="first"), Reply(text="second"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    async with Runtime(load_config(cwd=configured)) as runtime:
        first = runtime.agent(AgentSpec(workspace=str(configured), model="fake/fake-large", plugins=False))
        await first.run(Message.user("one"))
        again = runtime.agent(
            AgentSpec(workspace=str(elsewhere), model="fake/fake-large", plugins=False, session=first.session.id)
        )
        await again.run(Message.user("two"))
    assert again.resumed
    assert again.context.workspace.root == again.context.workspace.cwd == configured.resolve()
    assert again.spec.workspace == str(configured.resolve())  # what a `task` sub-agent inherits


async def test_a_sub_agents_events_are_published_under_its_parents_topic(llm, configured):
    llm.route('"content": "SUB-PROMPT"', Reply(text="sub done"))
    llm.script(Reply(calls=[Call("task", {"description": "d", "prompt": "SUB-PROMPT"})]), Reply(text="ok"))
    async with Runtime(load_config(cwd=configured)) as runtime:
        everything = runtime.bus.subscribe("agent.#")
        run = runtime.agent(AgentSpec(workspace=str(configured), model="fake/fake-large", plugins=False))
        await run.run(Message.user("go"))
    topics = [envelope.topic for envelope in everything.poll()]
    children = {topic for topic in topics if topic != run.topic}
    assert len(children) == 1 and next(iter(children)).startswith(f"{run.topic}.task.ses_")


async def test_bedrock_signs_with_the_credentials_the_runtime_resolved(llm, configured, config_file):
    """No provider reads the process environment: SigV4 keys come from the runtime's environment."""
    config_file.write_text(config_file.read_text() + f'\n[providers.bedrock]\nbase_url = "{llm.url}"\n')
    llm.script(Reply(text="signed"))
    environ = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE0000",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY",
        "AWS_REGION": "eu-west-1",
    }
    async with Runtime(load_config(cwd=configured), environ=environ) as runtime:
        run = runtime.agent(AgentSpec(workspace=str(configured), model="bedrock/test-model", plugins=False))
        finished = await run.run(Message.user("hi"))
    assert finished.status == "submitted" and finished.text == "signed"
    authorization = llm.requests[0].headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE0000/")
    assert "/eu-west-1/bedrock/aws4_request" in authorization
