"""Sandbox spawner: picks the compiled twin unless CODETETHER_NO_EXTENSIONS is set or it is missing."""

import os
from typing import TYPE_CHECKING

__all__ = ["CLONE_NEWNET", "IMPLEMENTATION", "LIMIT_NAMES", "spawn"]

if TYPE_CHECKING or os.environ.get("CODETETHER_NO_EXTENSIONS"):
    from ._sandbox_py import CLONE_NEWNET, LIMIT_NAMES, spawn

    IMPLEMENTATION = "python"
else:
    try:
        from ._sandbox_c import CLONE_NEWNET, LIMIT_NAMES, spawn

        IMPLEMENTATION = "c"
    except ImportError:
        from ._sandbox_py import CLONE_NEWNET, LIMIT_NAMES, spawn

        IMPLEMENTATION = "python"
