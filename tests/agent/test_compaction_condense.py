"""Compaction condenses an oversized tool output by the chunker's priorities instead of summarising it away."""

import json
from pathlib import Path

from codetether.agent.compaction import Compactor, condense_tool_outputs
from codetether.agent.loop import Agent
from codetether.agent.session import MemorySession
from codetether.providers import Message, ProviderSettings, RetryPolicy, create_provider
from codetether.providers.http import close_shared_session
from codetether.providers.types import ImagePart, ToolCall
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.context import ToolContext
from codetether.tools.registry import builtin_tools
from codetether.tools.runner import ToolRunner
from tests.fakes.llm import Call, Reply

LOG = Path(__file__).resolve().parents[1] / "fixtures" / "chunker" / "service.log"


def test_condense_keeps_errors_whole_in_source_order():
    log = LOG.read_text()
    call = ToolCall(id="c1", name="bash", arguments="{}")
    result = Message.tool_result(call, log)
    result.content.append(ImagePart(media_type="image/png", data="AAAA"))
    small = Message.tool_result(ToolCall(id="c2", name="bash", arguments="{}"), "ok")
    out = condense_tool_outputs([Message.user("go"), result, small], budget_tokens=800)
    condensed = out[1].text
    assert condensed.startswith("[output condensed to save context:") and "(logs)" in condensed.splitlines()[0]
    assert len(condensed) // 4 < 1000 < len(log) // 4
    for needle in ("ZeroDivisionError: division by zero", "java.net.SocketTimeoutException", "\t... 12 more"):
        assert needle in condensed
    assert "lines omitted ...]" in condensed
    kept = [line for line in condensed.splitlines()[1:] if not line.startswith("[... ")]
    assert kept == [line for line in log.splitlines() if line in set(kept)]  # source order, whole lines
    assert out[1].tool_call_id == "c1" and isinstance(out[1].content[-1], ImagePart)
    assert out[2] is small and out[0].text == "go"
    assert condense_tool_outputs(out, budget_tokens=800)[1].text == condensed  # not condensed twice


async def test_a_session_over_its_window_condenses_the_log_and_needs_no_summary(llm, tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "service.log").write_text(LOG.read_text())
    llm.script(
        Reply(calls=[Call("bash", {"command": "cat service.log"})]),
        Reply(text="Two kinds of failure: division by zero in pricing rules, and stock lookups timing out."),
    )
    settings = ProviderSettings(name="fake", kind="openai", base_url=f"{llm.url}/v1", retry=RetryPolicy(max_retries=0))
    provider = create_provider(settings)
    session = MemorySession.create(workspace, "fake/fake-large", system="You are a test agent.")
    context = ToolContext.local(workspace, PermissionPolicy(AccessMode.FULL))
    seen = []
    agent = Agent(
        provider,
        "fake-large",
        ToolRunner(builtin_tools(["bash"]), context),
        session,
        emit=seen.append,
        compactor=Compactor(provider, "fake-large", context_window=5000),
    )
    try:
        finished = await agent.run(Message.user("What went wrong in service.log?"))
    finally:
        await close_shared_session()
    assert finished.status == "submitted", finished
    assert len(llm.requests) == 2 and all(r.body.get("tools") for r in llm.requests)  # no summary call
    compacted = [e for e in seen if type(e).__name__ == "Compacted"]
    assert compacted and not compacted[0].summarised and compacted[0].tokens_after < compacted[0].tokens_before
    tool_message = llm.requests[1].body["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"].startswith("[output condensed")
    assert "ZeroDivisionError" in tool_message["content"] and "SocketTimeoutException" in tool_message["content"]
    assert len(json.dumps(llm.requests[1].body)) < len(LOG.read_text()) // 2
