"""Read-only calls in a row run together; a mutating call waits for them and runs alone, in order."""

import asyncio

import msgspec

from codetether.providers.types import ToolCall
from codetether.security.permissions import AccessMode, PermissionPolicy
from codetether.tools.base import ToolDef
from codetether.tools.context import ToolContext
from codetether.tools.runner import ToolRunner


class Empty(msgspec.Struct, forbid_unknown_fields=True):
    pass


async def test_read_only_calls_overlap_and_mutating_calls_do_not(tmp_path):
    log: list[str] = []
    both_reading = asyncio.Barrier(2)

    async def read(params, ctx):
        log.append(f"read start {ctx.call_id}")
        # Only passes if the other read is running at the same time; sequential execution would deadlock here.
        await asyncio.wait_for(both_reading.wait(), 5)
        log.append("read end")
        return "ok"

    async def write(params, ctx):
        log.append("write")
        return "ok"

    tools = [
        ToolDef("peek", Empty, read, "read", "read", None),
        ToolDef("poke", Empty, write, "write", "edit", lambda p: "x"),
    ]
    context = ToolContext.local(tmp_path, PermissionPolicy(AccessMode.FULL))
    runner = ToolRunner(tools, context)
    calls = [ToolCall(id="a", name="peek"), ToolCall(id="b", name="peek"), ToolCall(id="c", name="poke")]
    outcomes = await runner.run_many(calls)
    assert [o.call_id for o in outcomes] == ["a", "b", "c"] and not any(o.is_error for o in outcomes)
    assert log[:2] == ["read start a", "read start b"] or log[:2] == ["read start b", "read start a"]
    assert log[-1] == "write"
