"""The runtime: the one place an agent run is built, so every surface gets the same agent.

``codetether run``, the ``task`` sub-agent, swarm sub-agents, the A2A executor (and the TUI, Ralph,
RLM, the worker and cognition after them) describe the run they want as an :class:`AgentSpec` and
call :meth:`Runtime.agent`. The runtime owns what runs share in one process: the effective config,
secrets, one provider client per provider, the audit log, the bus and the shared HTTP session. Tools,
plugins, permissions, audit records, step limits and event topics are therefore the same for the
same spec, whichever surface asked.

A run publishes every event on the bus (``agent.{session_id}`` unless the spec names a topic); the
CLI renderers, the swarm view and A2A task updates are subscribers.
"""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

from .agent.compaction import Compactor
from .agent.loop import Agent
from .agent.prompt import git_summary, system_prompt
from .agent.session import FileSession, MemorySession, Session, find_session, latest_session
from .bus import AgentBus, BusHandle
from .config import LoadedConfig
from .errors import CodetetherError
from .events import Finished, RunEvent, SessionStarted
from .hooks import Hooks
from .providers.base import Provider
from .providers.choice import configured_default, discover_local, explain_embedded_model, unconfigured
from .providers.choice import context_window as model_context_window
from .providers.registry import create_provider, provider_settings, split_model
from .providers.types import Message
from .secrets import SecretResolver
from .security.audit import AuditLog
from .security.permissions import AccessMode, PermissionPolicy
from .tools.base import ToolError
from .tools.context import Asker, PermissionGate, SessionState, ToolContext, Workspace
from .tools.registry import BUILTIN_TOOLS, PEER_TOOLS, builtin_tools
from .tools.runner import ToolRunner
from .tools.services import Question, Services

if TYPE_CHECKING:
    from .agent.profiles import AgentCatalog
    from .mcp.client import McpClients
    from .peers.directory import PeerDirectory
    from .router.router import ToolRouter
    from .swarm.ratelimit import AdaptiveRateLimiter

log = logging.getLogger(__name__)

# A `task` sub-agent may not start further sub-agents or ask the user questions.
SUB_AGENT_TOOLS = ["read_file", "write_file", "edit", "multiedit", "glob", "grep", "list_dir", "bash"]


class AgentSpec(msgspec.Struct, kw_only=True, frozen=True):
    """What makes one agent run differ from another; everything else comes from the runtime."""

    workspace: str  # the directory tree the tools are confined to
    cwd: str | None = None  # where relative paths start (default: the workspace)
    model: str | None = None  # "provider/model"; None: the config's default
    tools: list[str] | Literal["all", "none"] = "all"  # built-in tool names
    plugins: bool = True  # add the installed, verified plugins as tools (not with tools="none")
    mcp: bool = True  # add the [mcp.*] servers' tools (not with tools="none")
    access_mode: AccessMode | None = None  # None: the config's [agent] access_mode
    max_steps: int | None = None  # None: the config's [agent] max_steps
    system_extra: str = ""  # appended to the system prompt (a swarm role, a Ralph story)
    session: str = "new"  # "new", "memory" (nothing written), "latest" (in cwd) or a session id to resume
    title: str = ""  # a new session's title (default: the model label)
    actor: str = ""  # who the audit log names; "{session}" becomes the session id (default: session:{session})
    topic: str = ""  # where the run's events go; "{session}" becomes the session id (default: agent.{session})
    bus_agent: str = ""  # this agent's id on the bus, for the swarm_share tool
    sub_agents: bool = True  # whether the `task` tool can start sub-agents
    git_status: str | None = None  # the git summary when the caller knows it (sibling worktrees)
    sessions_dir: str | None = None  # where session files go (default: the data dir)


@dataclass(frozen=True)
class ResolvedModel:
    provider: Provider
    model: str
    label: str  # provider/model
    window: int  # tokens of context


class AgentRun:
    """One built agent run: call :meth:`run` with the prompt; subscribe to :attr:`topic` to watch it."""

    def __init__(
        self,
        runtime: "Runtime",
        spec: AgentSpec,
        agent: Agent,
        context: ToolContext,
        *,
        resumed: bool,
        label: str,
    ) -> None:
        self.runtime = runtime
        self.spec = spec
        self.agent = agent
        self.context = context
        self.session = agent.session
        self.resumed = resumed
        self.label = label
        self.topic = spec.topic or f"agent.{self.session.id}"
        self.actor = context.services.actor

    @property
    def steps(self) -> int:
        return self.agent.steps

    async def run(self, prompt: Message) -> Finished:
        """Work on ``prompt`` until the run ends; its events, the last one ``done``, are on :attr:`topic`."""
        workspace = self.context.workspace
        self.runtime.publish(
            self.topic,
            SessionStarted(session_id=self.session.id, model=self.label, cwd=str(workspace.cwd), resumed=self.resumed),
        )
        # The record's flock and fsync run on a thread, beside the first model request, not before it.
        action = "session.resume" if self.resumed else "session.start"
        recording = asyncio.ensure_future(
            asyncio.to_thread(self.runtime.audit.append, self.actor, action, str(workspace.cwd))
        )
        try:
            return await self.agent.run(prompt)
        finally:
            await self.context.aclose()
            try:
                await recording
            except OSError as exc:  # loud, but it must not hide how the run ended
                log.error("could not write the audit log: %s", exc)


class Runtime:
    """Process-wide services and the one way to build agent runs (see the module docstring)."""

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        notice: Callable[[str], None] | None = None,
        bus: AgentBus | None = None,
        audit: AuditLog | None = None,
        secrets: SecretResolver | None = None,
        environ: Mapping[str, str] | None = None,
        peers: "PeerDirectory | None" = None,
    ) -> None:
        self.loaded = loaded
        self.peers = peers  # known A2A peers (`codetether spawn`): adds the a2a_peers and a2a_send tools
        self.config = loaded.config
        self.notice = notice or (lambda _text: None)
        self.bus = bus or AgentBus()
        self.audit = audit or AuditLog()
        self.secrets = secrets or SecretResolver.from_environment()
        # What tool processes start from; security.toolenv drops the secrets per call ([agent] pass_env).
        self.environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        self._providers: dict[str, Provider] = {}
        self._limiters: dict[str, AdaptiveRateLimiter] = {}
        self._threads: ThreadPoolExecutor | None = None
        self._agents_noticed: set[str] = set()  # projects whose ignored agent files were reported
        self._mcp: McpClients | None = None
        self._discovered: str | None = None  # "name/model" of a local server found when none is configured
        self._router: ToolRouter | None = None

    async def __aenter__(self) -> "Runtime":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the shared HTTP session (every provider's connections)."""
        from .providers.http import close_shared_session

        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
        if self._mcp is not None:
            await self._mcp.aclose()
        await close_shared_session()

    # --- events ---------------------------------------------------------------------------------------
    def publish(self, topic: str, event: RunEvent) -> None:
        self.bus.publish(topic, event, sender="runtime")

    # --- models ---------------------------------------------------------------------------------------
    def model(self, spec: str | None = None) -> ResolvedModel:
        """The provider client (one per provider, reused), model id, label and context window for ``spec``."""
        name, model = split_model(spec or self.default_model(), self.config)
        provider = self._providers.get(name)
        if provider is None:
            settings = provider_settings(name, self.config, self.secrets, self.environ)
            if settings.kind == "llama-cpp" and spec is None and unconfigured(self.loaded):
                explain_embedded_model(model, self.notice)
            provider = create_provider(settings)
            limiter = self._limiters.get(name)
            if limiter is not None:
                from .swarm.ratelimit import RateLimitedProvider

                provider = RateLimitedProvider(provider, limiter)
            self._providers[name] = provider
        label = f"{name}/{model}"
        return ResolvedModel(provider=provider, model=model, label=label, window=self.context_window(label))

    def default_model(self) -> str:
        """``provider/model`` a run gets when it names none: a local server found once when nothing is
        configured (see :mod:`.providers.choice`), else ``[default]``."""
        if self._discovered is None:
            self._discovered = ""  # probed once, found or not
            self._discovered = discover_local(self.loaded, self.notice) or ""
        return self._discovered or configured_default(self.loaded)

    def rate_limit(self, spec: str | None = None) -> "AdaptiveRateLimiter":
        """Share one adaptive rate limiter among every later run on ``spec``'s provider (a swarm's agents)."""
        from .swarm.ratelimit import AdaptiveRateLimiter, RateLimitedProvider

        name, _ = split_model(spec or self.default_model(), self.config)
        limiter = self._limiters.get(name)
        if limiter is None:
            limiter = self._limiters[name] = AdaptiveRateLimiter()
            if name in self._providers:
                self._providers[name] = RateLimitedProvider(self._providers[name], limiter)
        return limiter

    def context_window(self, label: str) -> int:
        """Tokens the model can take: config override, else the catalog, else a safe default."""
        return model_context_window(self.config, label)

    def tool_router(self) -> "ToolRouter":
        """The one tool-call router of this process (``[tool_router]``), its model loaded on first use."""
        if self._router is None:
            from .router.router import ToolRouter
            from .router.settings import router_settings

            self._router = ToolRouter(router_settings(self.config.tool_router, self.notice), notice=self.notice)
        return self._router

    # --- agent runs -----------------------------------------------------------------------------------
    def agent(
        self,
        spec: AgentSpec,
        *,
        ask: Asker | None = None,
        question: Question | None = None,
        policy: PermissionPolicy | None = None,
        as_sub_agent: bool = False,
    ) -> AgentRun:
        """Build the run ``spec`` describes. ``ask``/``question`` reach a person; None means nobody can answer.

        ``policy`` shares a permission policy (and the "always" answers given to it) with a parent run.
        ``as_sub_agent`` marks a `task` sub-agent: its hooks fire subagent_stop, not session_start/user_prompt/stop.
        """
        workspace_root = Path(spec.workspace)
        cwd = Path(spec.cwd) if spec.cwd else workspace_root
        # `git status` for the system prompt runs while the provider client and the tools load.
        git = self._git_status(spec, cwd)
        resolved = self.model(spec.model)
        tools = self._tools(spec)
        session, resumed = self._session(spec, resolved.label, cwd, git)
        if resumed:  # a resumed session keeps the workspace it started in, and starts there unless told
            workspace_root = Path(session.meta.cwd)
            if spec.cwd is None and not Workspace(workspace_root).contains(cwd.resolve()):
                cwd = workspace_root
        actor = (spec.actor or "session:{session}").replace("{session}", session.id)
        topic = (spec.topic or "agent.{session}").replace("{session}", session.id)
        # The spec as it was carried out: what a sub-agent inherits and what the run reports.
        spec = msgspec.structs.replace(spec, workspace=str(workspace_root), cwd=str(cwd), topic=topic)
        mode = AccessMode(spec.access_mode or self.config.agent.access_mode)
        policy = policy or PermissionPolicy(mode, self.config.permissions)
        sub_agent = None
        if spec.sub_agents and "task" in self._tool_names(spec):
            sub_agent = self._sub_agent_runner(spec, resolved, actor, policy, ask)
        hooks = Hooks.from_config(
            self.config,
            self.environ,
            session_id=session.id,
            cwd=str(cwd),
            project_dir=str(workspace_root),
            transcript_path=str(getattr(session, "path", "")),
            resumed=resumed,
            sub_agent=as_sub_agent,
            notice=self.notice,
        )
        services = Services(
            settings=self.config,
            actor=actor,
            environment=self.environ,
            audit=self.audit,
            bus=BusHandle(self.bus, spec.bus_agent) if spec.bus_agent else None,
            on_event=lambda event: self.publish(topic, event),
            run_sub_agent=sub_agent,
            ask_question=question,
            run_rlm=self._rlm_runner(spec, resolved) if "rlm" in self._tool_names(spec) else None,
            hooks=hooks,
            peers=self.peers,
        )
        context = ToolContext(Workspace(workspace_root, cwd), PermissionGate(policy, ask), services, SessionState())
        agent = Agent(
            resolved.provider,
            resolved.model,
            ToolRunner(tools, context) if tools is not None else None,
            session,
            emit=services.emit,
            max_steps=spec.max_steps or self.config.agent.max_steps,
            compactor=Compactor(resolved.provider, resolved.model, resolved.window),
            hooks=hooks,
            router=self.tool_router() if tools is not None else None,
        )
        return AgentRun(self, spec, agent, context, resumed=resumed, label=resolved.label)

    def agent_catalog(self, project: Path) -> "AgentCatalog":
        """The named agents a run in ``project`` can use: built-in, the user's and the trusted project's."""
        from .agent.profiles import load_catalog

        def notice(text: str) -> None:
            if text not in self._agents_noticed:
                self._agents_noticed.add(text)
                self.notice(text)

        return load_catalog(project, notice)

    def spec_for_agent(self, name: str, base: AgentSpec, *, project: Path | None = None) -> AgentSpec:
        """``base`` as the agent ``name`` runs it: its model, tools, access mode, step limit and prompt.

        ``project`` (default: the spec's cwd) is where the project's agents are looked up; an unknown
        name is a :class:`UsageError` listing the known ones.
        """
        profile = self.agent_catalog(project or Path(base.cwd or base.workspace)).get(name)
        changes = profile.changes(base.system_extra)
        if "tools" in changes:  # a listed tool set is the whole tool set: no plugin or MCP tool may write
            changes.update(plugins=False, mcp=False)
        return msgspec.structs.replace(base, **changes)

    def _tool_names(self, spec: AgentSpec) -> list[str]:
        if spec.tools == "none":
            return []
        return list(BUILTIN_TOOLS) if spec.tools == "all" else list(spec.tools)

    def _tools(self, spec: AgentSpec) -> list | None:
        if spec.tools == "none":
            return None
        names = [n for n in self._tool_names(spec) if n != "task" or spec.sub_agents]
        if self.peers is not None and spec.tools == "all":
            names += PEER_TOOLS
        tools = builtin_tools(names)
        if spec.plugins:
            from .plugins.store import load_tools

            tools += load_tools(self.config, self.notice)
        if spec.mcp and self.config.mcp:
            from .mcp.tools import mcp_tools

            tools += mcp_tools(self.mcp)
        return tools

    @property
    def mcp(self) -> "McpClients":
        """The ``[mcp.*]`` servers, each started on first use and stopped when the runtime closes."""
        if self._mcp is None:
            from .mcp.client import McpClients

            self._mcp = McpClients(self.config.mcp, self.environ, self.notice)
        return self._mcp

    def _git_status(self, spec: AgentSpec, cwd: Path) -> "Future[str] | None":
        """The git summary a new session's system prompt needs, started on a thread (None: not needed)."""
        if spec.session not in ("new", "memory") or spec.git_status is not None:
            return None
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="codetether-runtime")
        return self._threads.submit(git_summary, cwd)

    def _session(self, spec: AgentSpec, label: str, cwd: Path, git: "Future[str] | None") -> tuple[Session, bool]:
        directory = Path(spec.sessions_dir) if spec.sessions_dir else None
        if spec.session == "latest":
            return latest_session(cwd, directory), True
        if spec.session not in ("new", "memory"):
            return find_session(spec.session, directory), True
        system = system_prompt(cwd, git=git.result() if git is not None else spec.git_status)
        if spec.system_extra:
            system = f"{system}\n\n{spec.system_extra}"
        if spec.session == "memory":
            return MemorySession.create(cwd, spec.title or label, system=system), False
        return FileSession.create(cwd, spec.title or label, directory=directory, system=system), False

    def _rlm_runner(self, parent: AgentSpec, resolved: ResolvedModel) -> Callable[[str, str, str, str], Awaitable[str]]:
        """The `rlm` tool: an RLM run (codetether.rlm) on the parent's model, in its working directory."""

        async def run(question: str, content: str, content_type: str, label: str) -> str:
            from .rlm import analyze, format_answer

            try:
                result = await analyze(
                    self,
                    question,
                    content,
                    cwd=Path(parent.cwd or parent.workspace),
                    content_type=content_type,
                    model=resolved.label,
                    label=label,
                )
            except CodetetherError as exc:  # no answer within the limits, the provider failed: the model can act
                raise ToolError(exc.message, exc.hint) from exc
            return format_answer(result)

        return run

    def _sub_agent_runner(
        self,
        parent: AgentSpec,
        resolved: ResolvedModel,
        actor: str,
        policy: PermissionPolicy,
        ask: Asker | None,
    ) -> Callable[[str, str, str | None], Awaitable[str]]:
        """The `task` tool: a fresh agent sharing the parent's workspace, model, rules and answers.

        A named ``agent`` brings its own model, tools, step limit and prompt, but never a tool its parent
        lacks, nor `task` or `question`; it shares the parent's permission policy, so its access mode.
        """
        parent_tools = set(self._tool_names(parent))

        async def run(description: str, prompt: str, agent: str | None = None) -> str:
            spec = msgspec.structs.replace(
                parent,
                model=resolved.label,
                tools=[t for t in SUB_AGENT_TOOLS if t in parent_tools],
                max_steps=self.config.agent.subagent_max_steps,
                system_extra="" if agent else parent.system_extra,  # a named agent brings its own prompt
                session="new",
                title=f"sub-agent: {description}",
                actor=f"{actor}/task:{{session}}",
                topic=f"{parent.topic}.task.{{session}}",  # who follows agent.X.# sees its sub-agents too
                bus_agent="",  # not the parent's identity on the bus
                sub_agents=False,
            )
            if agent:
                try:
                    spec = self.spec_for_agent(agent, spec)
                except CodetetherError as exc:  # an unknown name, a broken agent file: the model can act on it
                    raise ToolError(exc.message, exc.hint) from exc
                allowed = [t for t in self._tool_names(spec) if t in parent_tools and t not in ("task", "question")]
                spec = msgspec.structs.replace(spec, tools=allowed)
            child = self.agent(
                spec,
                ask=ask,
                policy=policy,
                as_sub_agent=True,
            )
            finished = await child.run(Message.user(prompt))
            if finished.status != "submitted":
                return f"[sub-agent stopped: {finished.status}] {finished.text}"
            return finished.text

        return run
