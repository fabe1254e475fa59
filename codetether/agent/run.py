"""Setting up and running one agent task from config and options (what ``codetether run`` calls)."""

import base64
import importlib.util
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from ..config import LoadedConfig
from ..errors import CodetetherError, UsageError
from ..plugins.store import load_tools
from ..providers.catalog import lookup
from ..providers.registry import create_provider, provider_settings, split_model
from ..providers.types import ImagePart, Message, TextPart
from ..secrets import SecretResolver
from ..security.audit import AuditLog
from ..security.permissions import AccessMode, PermissionPolicy
from ..tools.context import Asker, ToolContext
from ..tools.files import image_type, is_binary
from ..tools.registry import builtin_tools
from ..tools.runner import ToolRunner
from . import events
from .compaction import Compactor
from .loop import Agent
from .prompt import system_prompt
from .session import Session, find_session, latest_session

DEFAULT_CONTEXT_WINDOW = 128_000
MAX_ATTACHMENT_BYTES = 2_000_000


class RunOptions(msgspec.Struct, kw_only=True):
    prompt: str
    cwd: Path
    model: str | None = None
    files: list[str] = []
    max_steps: int | None = None
    no_tools: bool = False
    access_mode: str | None = None
    continue_latest: bool = False
    session_id: str | None = None


def _attachments(files: list[str], cwd: Path) -> tuple[list[str], list[ImagePart]]:
    texts, images = [], []
    for name in files:
        path = (cwd / name).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot attach {name}: {exc.strerror}", "check the -f path") from exc
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise UsageError(f"cannot attach {name}: {len(data)} bytes is over the 2 MB limit")
        media_type = image_type(data[:16])
        if media_type:
            images.append(ImagePart(media_type=media_type, data=base64.b64encode(data).decode()))
        elif is_binary(data[:8192]):
            raise UsageError(f"cannot attach {name}: it is a binary file")
        else:
            texts.append(f'<file path="{name}">\n{data.decode("utf-8", "replace")}\n</file>')
    return texts, images


def user_message(options: RunOptions) -> Message:
    texts, images = _attachments(options.files, options.cwd)
    content: list[Any] = [TextPart(text=options.prompt)]
    content += [TextPart(text=t) for t in texts]
    return Message(role="user", content=[*content, *images])


def resolve_model(model_spec: str | None, loaded: LoadedConfig, notice: Callable[[str], None]) -> tuple[Any, str, str]:
    """(provider, model id, "provider/model") for a run, with the local-model fallback explained."""
    config = loaded.config
    spec = model_spec or f"{config.default.provider}/{config.default.model}"
    name, model = split_model(spec, config)
    settings = provider_settings(name, config, SecretResolver.from_environment())
    if settings.kind == "llama-cpp" and model_spec is None and "default.provider" not in loaded.origins:
        if importlib.util.find_spec("llama_cpp") is None:
            raise CodetetherError(
                "no provider is configured and the embedded local model is not installed",
                "pip install 'codetether[local]', or add a key (`codetether auth login openai`) and pass "
                "--model openai/gpt-5",
            )
        notice(f"no provider configured: using the embedded local model {model} (add a key and --model for more)")
    return create_provider(settings), model, f"{name}/{model}"


def context_window(config: Any, label: str) -> int:
    """Tokens the model can take: config override, else the catalog, else a safe default."""
    provider, _, model = label.partition("/")
    info = lookup(provider, model)
    return config.agent.context_window or (info.context if info and info.context else DEFAULT_CONTEXT_WINDOW)


def open_session(options: RunOptions, label: str) -> tuple[Session, bool]:
    if options.session_id:
        return find_session(options.session_id), True
    if options.continue_latest:
        return latest_session(options.cwd), True
    return Session.create(options.cwd, label, system=system_prompt(options.cwd)), False


async def run_task(
    options: RunOptions,
    loaded: LoadedConfig,
    *,
    emit: Callable[[Any], None],
    notice: Callable[[str], None],
    ask: Asker | None,
    question: Callable[[str, list[str]], Awaitable[str]] | None = None,
) -> events.Finished:
    config = loaded.config
    provider, model, label = resolve_model(options.model, loaded, notice)
    session, resumed = open_session(options, label)
    emit(events.SessionStarted(session_id=session.id, model=label, cwd=str(options.cwd), resumed=resumed))
    mode = AccessMode(options.access_mode or config.agent.access_mode)
    context = ToolContext(
        workspace=Path(session.meta.cwd) if resumed else options.cwd,
        cwd=options.cwd,
        permissions=PermissionPolicy(mode, config.permissions),
        ask=ask,
        emit=emit,
        settings=config,
        question=question,
        audit=AuditLog(),
        actor=f"session:{session.id}",
    )
    context.audit.append(context.actor, "session.resume" if resumed else "session.start", str(options.cwd))
    tools = None if options.no_tools else ToolRunner([*builtin_tools(), *load_tools(config, notice)], context)
    window = context_window(config, label)
    agent = Agent(
        provider,
        model,
        tools,
        session,
        emit=emit,
        max_steps=options.max_steps or config.agent.max_steps,
        compactor=Compactor(provider, model, window),
    )
    context.sub_agent = _sub_agent_runner(provider, model, context, window)
    try:
        return await agent.run(user_message(options))
    finally:
        await context.aclose()


def _sub_agent_runner(provider: Any, model: str, parent: ToolContext, window: int):
    """The `task` tool: a fresh agent with its own context and session, sharing tools' workspace and rules."""

    async def run(description: str, prompt: str) -> str:
        cwd = parent.cwd or parent.workspace
        session = Session.create(cwd, f"sub-agent: {description}", system=system_prompt(cwd))
        child_context = ToolContext(
            workspace=parent.workspace,
            cwd=parent.cwd,
            permissions=parent.permissions,
            ask=parent.ask,
            settings=parent.settings,
            audit=parent.audit,
            actor=f"{parent.actor}/task:{session.id}",
            plan_mode=parent.plan_mode,
        )
        agent = Agent(
            provider,
            model,
            ToolRunner(builtin_tools(_SUB_AGENT_TOOLS), child_context),
            session,
            max_steps=int(os.environ.get("CODETETHER_SUBAGENT_MAX_STEPS", "30")),
            compactor=Compactor(provider, model, window),
        )
        try:
            finished = await agent.run(Message.user(prompt))
        finally:
            await child_context.aclose()
        if finished.status != "submitted":
            return f"[sub-agent stopped: {finished.status}] {finished.text}"
        return finished.text

    return run


# A sub-agent may not spawn further sub-agents or ask the user questions.
_SUB_AGENT_TOOLS = ["read_file", "write_file", "edit", "multiedit", "glob", "grep", "list_dir", "bash"]
