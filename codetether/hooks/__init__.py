"""Hooks: the user's own commands, run on agent events (see docs/hooks.md)."""

from .hooks import Hooks, PromptVerdict, ToolVerdict
from .process import Completed, run_command
from .reply import HookReply, read_reply

__all__ = ["Completed", "HookReply", "Hooks", "PromptVerdict", "ToolVerdict", "read_reply", "run_command"]
