"""``codetether mcp serve``: CodeTether's built-in tools for other agents and IDEs, as an agent run has them.

The tools are not re-wired here: each MCP client gets the ToolRunner and ToolContext of an agent run the
runtime builds (``Runtime.agent``, an in-memory session), so the permission rules, the access mode, the
protected paths, the secret-free tool environment and the audit records (actor ``mcp:{client}``) are the
ones ``codetether run`` applies. Nobody can be asked over stdio, so a call the policy would ask about is
denied with the message a non-interactive run gives.

With ``agent=True`` a ``run_agent`` tool runs a whole agent task (a new, saved session) and returns its
final answer and how it ended. This module knows nothing of the MCP SDK; ``server_stdio`` speaks the wire.
"""

import asyncio
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import msgspec

from ..errors import CodetetherError
from ..events import Finished
from ..providers.registry import BUILTINS
from ..providers.types import Message, ToolCall, ToolSpec
from ..runtime import AgentRun, AgentSpec, Runtime
from ..security.permissions import AccessMode
from ..tools.base import json_schema
from ..tools.registry import BUILTIN_TOOLS

# Left out, because over MCP they mean nothing or cannot work: `question` (nobody to answer), `plan_enter`
# and `plan_exit` (plan mode is a conversation of CodeTether's own loop; entered by a client it would block
# every later edit), `todo_read`/`todo_write` (a list only CodeTether's own views show; the client keeps
# its own plan). `task` needs a model, so it is served only with run_agent (``agent=True``).
NOT_SERVED = frozenset({"question", "plan_enter", "plan_exit", "todo_read", "todo_write"})
RUN_AGENT = "run_agent"

# A tools-only server never calls a model, but a run is built for one: the built-in local model's label
# costs nothing (llama.cpp loads on the first request, never made), needs no key and no network, so serving
# tools works whatever [default] names.
_TOOLS_ONLY_MODEL = f"llama-cpp/{BUILTINS['llama-cpp'].default_model}"


# What an MCP client's model reads about run_agent (kept here, not in a package data file: one tool, one place).
RUN_AGENT_DESCRIPTION = """\
Run a whole CodeTether agent task in the server's workspace and return its final answer.

The agent plans, reads, edits and runs commands on its own with CodeTether's built-in tools, under the
server's permission rules and access mode, until it answers or runs out of steps. Use it for a task you
would hand to a colleague ("add a --verbose flag and test it"); use the other tools for single steps.
The task is saved as a session: `session_id` in the result continues it with `codetether run --session`.
If it did not finish (status other than `submitted`), the result is an error that says how it ended."""


class RunAgentParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    prompt: Annotated[str, msgspec.Meta(description="The task for the agent, as you would give it to a person")]
    model: Annotated[str | None, msgspec.Meta(description="provider/model to use (default: the server's model)")] = None


@dataclass(frozen=True)
class ServeOptions:
    """What ``codetether mcp serve`` was asked for."""

    workspace: Path
    access_mode: AccessMode | None = None  # None: the config's [agent] access_mode
    agent: bool = False  # also serve run_agent (and the `task` tool)
    model: str | None = None  # run_agent's default model (None: [default])


class Reply(msgspec.Struct, kw_only=True):
    """A tool's answer as a client sees it: the text the model would see, and whether it is an error."""

    text: str
    is_error: bool = False
    image: dict[str, str] | None = None  # {"media_type", "data"} from the `image` tool
    structured: dict[str, Any] | None = None  # run_agent: answer, status, session


def served_tool_names(agent: bool) -> list[str]:
    return [n for n in BUILTIN_TOOLS if n not in NOT_SERVED and (agent or n != "task")]


def client_label(name: str | None) -> str:
    """The client's name as the audit log's actor shows it (``mcp:{label}``)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in (name or "").strip())[:64]
    return cleaned or "client"


@dataclass(frozen=True)
class ServedTool:
    spec: ToolSpec  # name, description and the JSON Schema the model sees
    kind: str  # read | edit | execute | network | delegate


def run_agent_tool() -> ServedTool:
    return ServedTool(
        spec=ToolSpec(name=RUN_AGENT, description=RUN_AGENT_DESCRIPTION, parameters=json_schema(RunAgentParams)),
        kind="delegate",
    )


class ToolServer:
    """Serves one runtime's tools to MCP clients: one agent run's tools per client name."""

    def __init__(self, runtime: Runtime, options: ServeOptions) -> None:
        self.runtime = runtime
        self.options = options
        self._runs: dict[str, AgentRun] = {}
        # As in the agent loop, a call that may change something runs alone; reads run side by side.
        self._writing = asyncio.Lock()
        self._ids = itertools.count(1)

    def check(self) -> None:
        """Fail before serving, not on the client's first request, when run_agent's model cannot be used."""
        if self.options.agent:
            self.runtime.model(self.options.model)

    def _run_for(self, client: str) -> AgentRun:
        run = self._runs.get(client)
        if run is None:
            run = self._runs[client] = self.runtime.agent(
                AgentSpec(
                    workspace=str(self.options.workspace),
                    model=self.options.model if self.options.agent else _TOOLS_ONLY_MODEL,
                    tools=served_tool_names(self.options.agent),
                    access_mode=self.options.access_mode,
                    session="memory",
                    actor=f"mcp:{client}",
                    sub_agents=self.options.agent,
                )
            )
        return run

    def tools(self, client: str) -> list[ServedTool]:
        """What ``client`` may call: the run's tools (installed plugins included), then run_agent."""
        runner = self._run_for(client).agent.tools
        assert runner is not None  # built with a tool list
        served = [ServedTool(spec=t.spec(), kind=t.kind) for t in runner.tools.values()]
        return [*served, run_agent_tool()] if self.options.agent else served

    async def call(self, client: str, name: str, arguments: dict[str, Any] | None) -> Reply:
        if name == RUN_AGENT and self.options.agent:
            try:
                params = msgspec.convert(arguments or {}, RunAgentParams)
            except msgspec.ValidationError as exc:
                return Reply(text=f"Error: invalid arguments for {RUN_AGENT}: {exc}", is_error=True)
            try:
                return await self._agent_task(params, client)
            except CodetetherError as exc:  # a model that cannot be used (unknown, no key): the client can fix it
                return Reply(text=f"Error: {exc}", is_error=True)
        runner = self._run_for(client).agent.tools
        assert runner is not None  # built with a tool list
        call = ToolCall(id=f"mcp_{next(self._ids)}", name=name, arguments=msgspec.json.encode(arguments or {}).decode())
        if runner.is_read_only(name):
            outcome = await runner.run(call)
        else:
            async with self._writing:
                outcome = await runner.run(call)
        image = outcome.metadata.get("image") if not outcome.is_error else None
        return Reply(text=outcome.output, is_error=outcome.is_error, image=image)

    async def _agent_task(self, params: RunAgentParams, client: str) -> Reply:
        """run_agent: a whole agent task in the workspace, saved as a new session the user can continue."""
        run = self.runtime.agent(
            AgentSpec(
                workspace=str(self.options.workspace),
                model=params.model or self.options.model,
                access_mode=self.options.access_mode,
                actor=f"mcp:{client}/agent:{{session}}",
                title=f"mcp: {params.prompt[:60]}",
            )
        )
        finished: Finished = await run.run(Message.user(params.prompt))
        structured = {"answer": finished.text, "status": str(finished.status), "session_id": run.session.id}
        if finished.status != "submitted":
            text = f"[agent stopped: {finished.status}] {finished.text}".rstrip()
            return Reply(text=text, is_error=True, structured=structured)
        return Reply(text=finished.text, structured=structured)

    async def aclose(self) -> None:
        """Stop what the served tools started (language servers)."""
        for run in self._runs.values():
            await run.context.aclose()
