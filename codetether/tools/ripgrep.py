"""Running ripgrep (the PyPI ``ripgrep`` package ships the binary next to the interpreter)."""

import asyncio
import os
import shutil
import sys
import sysconfig
from functools import cache
from pathlib import Path

from ..security.toolenv import tool_environment
from .base import ToolError


@cache
def rg_binary() -> str:
    candidates = [
        Path(__file__).resolve().parent.parent / "_bin" / "rg",  # bundled by the zipapp and binary builds
        Path(sysconfig.get_path("scripts")) / "rg",
        Path(sys.executable).parent / "rg",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("rg")
    if found:
        return found
    raise ToolError(
        "ripgrep (rg) is not installed", "pip install 'ripgrep==14.1.0' or install your distribution's ripgrep"
    )


async def rg(*args: str, cwd: Path, timeout: float = 30.0) -> tuple[int, str, str]:
    """(exit code, stdout, stderr). rg exits 1 for "no matches", 2 for errors."""
    proc = await asyncio.create_subprocess_exec(
        rg_binary(),
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=tool_environment(os.environ),  # rg needs no credentials; nothing a tool starts gets them
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise ToolError(f"search took longer than {timeout:g}s", "narrow the path or the pattern") from exc
    return proc.returncode or 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


async def list_files(root: Path, glob: str | None = None, hidden: bool = True) -> list[Path]:
    """Files under ``root`` that git would not ignore (.gitignore, .ignore, .rgignore respected)."""
    args = ["--files", "--no-messages"]
    if glob:
        args += ["--glob", glob]
    if hidden:  # after the caller's glob: the last matching glob wins, and "**/*" would let .git back in
        args += ["--hidden", "--glob", "!.git"]
    code, out, err = await rg(*args, ".", cwd=root)
    if code == 2 and not out:
        raise ToolError(f"listing files failed: {err.strip()}")
    return [root / line.removeprefix("./") for line in out.splitlines() if line]
