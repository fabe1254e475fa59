"""Every git command CodeTether itself runs: hardened, so a repository's config cannot run a program.

A repository's ``.git/config`` may name programs git runs on its own: ``core.fsmonitor`` on every
``git status``, hooks (``core.hooksPath``, ``.git/hooks``), pagers, external diff and textconv drivers,
clean/smudge filters, merge drivers, ``gpg.program`` when signing. The model can write that file,
and a cloned repository can ship attributes that select drivers, so the agent's own git commands
(the prompt's ``git status``, the swarm's worktrees) must never run any of them:

- ``-c`` overrides switch off fsmonitor, hooks, the pager, signing, auto-gc/maintenance (which would
  leave detached processes behind) and remote transports;
- every filter, merge and diff driver the config defines is neutralised by name (the names are read
  first with ``git config``, which runs nothing): filters become no-ops, merge drivers become git's own
  three-way text merge, textconv becomes ``cat``; diff-family commands get ``--no-ext-diff --no-textconv``;
- the environment has no secrets, no inherited ``GIT_*`` variables (``GIT_DIR``, ``GIT_EXTERNAL_DIFF``,
  ``GIT_CONFIG_PARAMETERS``…), and ``GIT_CONFIG_NOSYSTEM=1``.

Repositories owned by another user: git itself refuses them ("dubious ownership", CVE-2022-24765),
because their config is exactly the attack above. CodeTether keeps that protection (it never passes
``safe.directory=*``, as Codex and Claude Code do not either) and reports the refusal as
:class:`UnsafeRepository` with the command that marks the repository safe, instead of treating it as
"not a git repository". ``GIT_CONFIG_NOSYSTEM`` means only the user's global config can mark it safe.
"""

import asyncio
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import CodetetherError
from .toolenv import tool_environment

__all__ = ["GitError", "UnsafeRepository", "git_argv", "git_env", "run_git", "run_git_sync"]

HARDENING: tuple[str, ...] = (
    "--no-pager",
    *("-c", "core.fsmonitor=false"),
    *("-c", "core.hooksPath=/dev/null"),
    *("-c", "core.pager=cat"),
    *("-c", "core.editor=true"),
    *("-c", "sequence.editor=true"),
    *("-c", "commit.gpgSign=false"),
    *("-c", "tag.gpgSign=false"),
    *("-c", "merge.verifySignatures=false"),
    *("-c", "log.showSignature=false"),
    *("-c", "gc.auto=0"),
    *("-c", "maintenance.auto=false"),
    *("-c", "protocol.allow=never"),
    *("-c", "submodule.recurse=false"),
)
_DIFF_FAMILY = frozenset({"diff", "log", "show", "format-patch"})
_DRIVER_QUERY = ("config", "--null", "--name-only", "--get-regexp", r"^(filter|merge|diff)\..+\.")
# Git's own text merge, for a merge driver the config defines (placeholders are quoted by git).
_TEXT_MERGE = "git merge-file --marker-size=%L %A %O %B"
_DUBIOUS = "detected dubious ownership"
TIMEOUT = 120.0


class GitError(CodetetherError):
    """A git command failed."""


class UnsafeRepository(GitError):
    """Git refused a repository owned by another user."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"git refuses the repository at {path}: it is owned by another user, and its config could run programs",
            f"if you trust it: git config --global --add safe.directory {path}",
        )
        self.path = path


def git_env(base_env: Mapping[str, str]) -> dict[str, str]:
    """The environment of CodeTether's own git commands, from the user's (``os.environ`` at the edge)."""
    env = {name: value for name, value in tool_environment(base_env).items() if not name.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",  # a status of ours never holds index.lock against the user's own git
        GIT_PAGER="cat",
        GIT_EDITOR="true",
        LC_ALL="C",  # its messages are parsed (dubious ownership)
    )
    env.pop("LANGUAGE", None)
    return env


def _subcommand(args: Sequence[str]) -> int:
    """Index of the subcommand in ``args`` (after any ``-c name=value`` pairs the caller added)."""
    i = 0
    while i < len(args) and args[i] == "-c":
        i += 2
    return i


def driver_overrides(config_names: str) -> list[str]:
    """``-c`` pairs neutralising every driver named in ``git config --null --name-only`` output."""
    filters, merges, diffs = set(), set(), set()
    for key in config_names.split("\0"):
        section, _, rest = key.partition(".")
        name, _, _ = rest.rpartition(".")
        if not name:
            continue
        {"filter": filters, "merge": merges, "diff": diffs}.get(section.lower(), set()).add(name)
    out: list[str] = []
    for name in sorted(filters):
        for key, value in (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")):
            out += ["-c", f"filter.{name}.{key}={value}"]
    for name in sorted(merges):
        out += ["-c", f"merge.{name}.driver={_TEXT_MERGE}", "-c", f"merge.{name}.recursive=text"]
    for name in sorted(diffs):
        out += ["-c", f"diff.{name}.textconv=cat"]
    return out


def git_argv(args: Sequence[str], overrides: Sequence[str] = ()) -> list[str]:
    """``git`` + hardening + driver ``overrides`` + ``args`` (diff-family commands lose external tools)."""
    args = list(args)
    at = _subcommand(args)
    if at < len(args) and args[at] in _DIFF_FAMILY:
        args[at + 1 : at + 1] = ["--no-ext-diff", "--no-textconv"]
    return ["git", *HARDENING, *overrides, *args]


def _check_ownership(cwd: Path, code: int, err: str) -> None:
    if code != 0 and _DUBIOUS in err:
        raise UnsafeRepository(cwd.resolve())


async def _exec(argv: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None) -> tuple[int, bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), TIMEOUT)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise GitError(f"git {' '.join(argv[len(HARDENING) + 1 :][:3])} took longer than {TIMEOUT:g}s") from exc
    return proc.returncode or 0, out, err


async def run_git(
    *args: str,
    cwd: Path,
    stdin: bytes | None = None,
    check: bool = True,
    base_env: Mapping[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run a hardened git command; (exit code, stdout, stderr). Raises UnsafeRepository, and GitError if ``check``."""
    env = git_env(os.environ if base_env is None else base_env)
    code, names, err = await _exec(git_argv(_DRIVER_QUERY), cwd, env, None)
    _check_ownership(cwd, code, err.decode(errors="replace"))
    code, out, err = await _exec(git_argv(args, driver_overrides(names.decode(errors="replace"))), cwd, env, stdin)
    text_err = err.decode(errors="replace")
    _check_ownership(cwd, code, text_err)
    if check and code != 0:
        raise GitError(f"git {' '.join(args[_subcommand(args) :][:3])} failed: {text_err.strip()}")
    return code, out.decode(errors="replace"), text_err


def run_git_sync(
    *args: str, cwd: Path, timeout: float = 5.0, base_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The blocking twin of :func:`run_git` for callers outside an event loop (the system prompt)."""
    env = git_env(os.environ if base_env is None else base_env)
    query = subprocess.run(git_argv(_DRIVER_QUERY), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    _check_ownership(cwd, query.returncode, query.stderr)
    argv = git_argv(args, driver_overrides(query.stdout))
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    _check_ownership(cwd, proc.returncode, proc.stderr)
    return proc
