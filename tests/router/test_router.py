"""The router as the agent uses it: zero cost when calls are present, pass-through on any failure."""

from codetether.agent.loop import Agent
from codetether.agent.session import MemorySession
from codetether.providers.scripted import ScriptedProvider
from codetether.providers.types import Message, ToolCall
from codetether.router.router import RouterSettings, ToolRouter, describes_tool_use
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.context import ToolContext
from codetether.tools.registry import builtin_tools
from codetether.tools.runner import ToolRunner


class CountingRouter:
    """A real router behind a counter: the agent must not consult it when the provider sent calls."""

    def __init__(self, inner: ToolRouter) -> None:
        self.inner = inner
        self.texts: list[str] = []

    async def route(self, text, specs):
        self.texts.append(text)
        return await self.inner.route(text, specs)


def test_intent(specs):
    assert describes_tool_use("Let me read greet.py first.", specs)
    assert describes_tool_use("Running grep for the symbol.", specs)
    assert not describes_tool_use("The function returns a greeting.", specs)


async def test_disabled_router_takes_only_written_calls(specs):
    router = ToolRouter(RouterSettings(enabled=False))
    assert await router.route("I'll read greet.py now.", specs) == []  # the model is off: the text stands
    assert router._caller is None
    calls = await router.route('<tool_call>{"name": "glob", "arguments": {"pattern": "*.py"}}</tool_call>', specs)
    assert [c.name for c in calls] == ["glob"]


async def test_an_answer_never_wakes_the_model(specs, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF but not really")
    notices = []
    router = ToolRouter(RouterSettings(enabled=True, model_path=str(broken)), notice=notices.append)
    assert await router.route("The answer is 42.", specs) == []
    assert router._caller is None and notices == []


async def test_a_model_that_fails_to_load_leaves_the_reply(specs, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF but not really")
    notices = []
    router = ToolRouter(RouterSettings(enabled=True, model_path=str(broken)), notice=notices.append)
    assert await router.route("I'll read greet.py now.", specs) == []
    assert await router.route("Let me run the tests.", specs) == []
    assert len(notices) == 1 and "tool router is off" in notices[0]


async def _run(tmp_path, script, router):
    (tmp_path / "greet.py").write_text("def greet():\n    return 'hi'\n")
    context = ToolContext.local(tmp_path, PermissionPolicy(AccessMode.FULL))
    tools = ToolRunner(builtin_tools(["read_file", "list_dir"]), context)
    session = MemorySession.create(tmp_path, "t", system="You are a test agent.")
    seen = []
    agent = Agent(ScriptedProvider(script), "m", tools, session, emit=seen.append, max_steps=5, router=router)
    finished = await agent.run(Message.user("what does greet return?"))
    return finished, seen, session


async def test_agent_zero_cost_when_the_provider_sent_calls(tmp_path):
    router = CountingRouter(ToolRouter(RouterSettings(enabled=True, model_path="/nowhere.gguf")))
    call = ToolCall(id="c1", name="read_file", arguments='{"file_path": "greet.py"}')
    finished, _seen, _ = await _run(tmp_path, [[call], "It returns 'hi'."], router)
    assert finished.status == "submitted" and finished.text == "It returns 'hi'."
    assert router.texts == ["It returns 'hi'."]  # only the text-only reply was offered to the router


async def test_agent_runs_a_call_written_in_text(tmp_path):
    router = ToolRouter(RouterSettings(enabled=False))
    written = 'Let me look.\n<tool_call>{"name": "read_file", "arguments": {"file_path": "greet.py"}}</tool_call>'
    finished, seen, session = await _run(tmp_path, [written, "It returns 'hi'."], router)
    assert finished.status == "submitted" and finished.text == "It returns 'hi'."
    results = [e for e in seen if type(e).__name__ == "ToolCallFinished"]
    assert [(r.name, r.is_error) for r in results] == [("read_file", False)] and "return 'hi'" in results[0].output
    assistant = next(m for m in session.messages if m.role == "assistant")
    assert assistant.text == written and [c.name for c in assistant.tool_calls] == ["read_file"]


async def test_agent_keeps_a_reply_the_router_cannot_place(tmp_path):
    router = ToolRouter(RouterSettings(enabled=False))
    written = '<tool_call>{"name": "delete_everything", "arguments": {}}</tool_call>'
    finished, seen, _ = await _run(tmp_path, [written], router)
    assert finished.status == "submitted" and finished.text == written  # unchanged, no call made
    assert not [e for e in seen if type(e).__name__ == "ToolCallStarted"]


def _runtime(environ):
    from codetether.config import load_config
    from codetether.runtime import Runtime

    notices = []
    return Runtime(load_config(environ=environ), notice=notices.append, environ=environ), notices


def test_runtime_resolves_the_settings_once(data_dir, tmp_path):
    installed = data_dir / "models" / "functiongemma-270m-it-Q8_0.gguf"  # where install.sh puts it
    installed.parent.mkdir(parents=True)
    installed.write_bytes(b"GGUF")
    runtime, notices = _runtime({"CODETETHER_TOOL_ROUTER_ENABLED": "1", "CODETETHER_TOOL_ROUTER_MAX_TOKENS": "64"})
    router = runtime.tool_router()
    assert router is runtime.tool_router()  # one per process: the model and its prefix state are shared
    assert (router.settings.enabled, router.settings.model_path, router.settings.max_tokens) == (
        True,
        str(installed),
        64,
    )
    assert notices == []

    environ = {
        "CODETETHER_TOOL_ROUTER_ENABLED": "true",
        "CODETETHER_TOOL_ROUTER_MODEL_PATH": str(tmp_path / "missing.gguf"),
        "CODETETHER_TOOL_ROUTER_TOKENIZER_PATH": str(tmp_path / "tokenizer.json"),
    }
    runtime, notices = _runtime(environ)
    assert runtime.tool_router().settings.enabled is False  # a missing file turns the model off, said once
    assert any("tokenizer_path is ignored: a GGUF file carries its own tokenizer" in n for n in notices)
    assert any("missing.gguf does not exist" in n for n in notices)


def test_bad_router_settings_are_config_errors():
    import pytest

    from codetether.config import load_config
    from codetether.errors import ConfigError

    with pytest.raises(ConfigError, match="CODETETHER_TOOL_ROUTER_DEVICE"):
        load_config(environ={"CODETETHER_TOOL_ROUTER_DEVICE": "tpu"})
