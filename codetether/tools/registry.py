"""The built-in tool set. One line per tool; each module holds its own schema, code and prose."""

from importlib import import_module

from .base import ToolDef, define, describe_call

BUILTIN_TOOLS = [
    "read_file",
    "write_file",
    "edit",
    "multiedit",
    "glob",
    "grep",
    "list_dir",
    "codesearch",
    "lsp",
    "bash",
    "apply_patch",
    "todo_read",
    "todo_write",
    "batch",
    "task",
    "question",
    "skill",
    "plan_enter",
    "plan_exit",
    "image",
    "webfetch",
    "websearch",
    "prd",
    "ralph",
    "rlm",
]

# The tools of an RLM run (codetether.rlm): they explore content held outside the model's context.
RLM_TOOLS = ["rlm_head", "rlm_tail", "rlm_grep", "rlm_count", "rlm_slice", "rlm_chunks", "rlm_llm_query", "rlm_final"]

# Offered only to an agent that knows A2A peers (`codetether spawn`).
PEER_TOOLS = ["a2a_peers", "a2a_send"]


def builtin_tools(names: list[str] | None = None) -> list[ToolDef]:
    """ToolDefs for ``names`` (None: every built-in tool), in a stable order. An empty list is no tools: an
    agent whose tool list was narrowed to nothing must not get them all."""
    chosen = BUILTIN_TOOLS if names is None else names
    return [define(import_module(f"codetether.tools.{name}")) for name in chosen]


def describe(name: str, arguments: str, width: int = 70) -> str:
    """The one-line summary of a call by tool name (views know names, not ToolDefs)."""
    if name in _BUILTIN_SET:
        return define(import_module(f"codetether.tools.{name}")).describe(arguments, width)
    return describe_call(name, arguments, width)


_BUILTIN_SET = frozenset([*BUILTIN_TOOLS, *PEER_TOOLS, "swarm_share", *RLM_TOOLS])
