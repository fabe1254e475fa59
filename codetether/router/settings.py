"""``[tool_router]`` resolved for this machine: which GGUF file the router loads, if any.

A configured model file that does not exist turns the router off with a notice rather than failing
every run; with no file named, the one ``codetether models pull functiongemma`` (or install.sh)
fetched is used, else the embedded Gemma 3 270M.
"""

from collections.abc import Callable
from pathlib import Path

from ..config.schema import ToolRouterSection
from ..paths import data_dir
from .pull import installed_model
from .router import RouterSettings


def router_settings(section: ToolRouterSection, notice: Callable[[str], None]) -> RouterSettings:
    """The settings the process's one :class:`~.router.ToolRouter` is built with."""
    enabled, path = section.enabled, section.model_path
    if enabled and section.tokenizer_path:
        notice("tool_router.tokenizer_path is ignored: a GGUF file carries its own tokenizer")
    if enabled and path and not Path(path).expanduser().is_file():
        notice(f"the tool router is off: its model file {path} does not exist (tool_router.model_path)")
        enabled = False
    if enabled and not path:
        found = installed_model(data_dir())  # from `codetether models pull functiongemma` or install.sh
        path = str(found) if found else None  # None: the embedded Gemma 3 270M
    return RouterSettings(
        enabled=enabled,
        model_path=str(Path(path).expanduser()) if path else None,
        arch=section.arch,
        device=section.device,
        max_tokens=section.max_tokens,
        temperature=section.temperature,
    )
