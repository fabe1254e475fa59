"""Running a story's quality checks and verification steps for real, in the story's worktree.

A check passes only on exit status 0 (and, for verification steps, the expected output, files,
HTTP status and body). Output is kept trimmed (head and tail) so a failure can be fed back to the
agent without flooding its context. Commands run in their own process group, killed whole on a
timeout or when the story is stopped, with the secrets dropped from the environment like the
agent's own shell commands (``security.toolenv``).
"""

import asyncio
import contextlib
import glob as globbing
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

import msgspec

from .prd import FileExistsStep, QualityChecks, ShellStep, UrlStep, VerificationStep

HEAD = 1500
TAIL = 2500
CHECK_TIMEOUT = 900.0  # one command; the story timeout bounds the whole attempt anyway


class CheckResult(msgspec.Struct, kw_only=True):
    name: str
    kind: str  # "quality" | "verify"
    ok: bool
    output: str = ""
    seconds: float = 0.0


def trim(text: str, head: int = HEAD, tail: int = TAIL) -> str:
    if len(text) <= head + tail:
        return text
    return f"{text[:head]}\n[... {len(text) - head - tail} characters cut ...]\n{text[-tail:]}"


async def run_command(
    command: str, cwd: Path, env: Mapping[str, str], timeout: float = CHECK_TIMEOUT
) -> tuple[int | None, str]:
    """(exit status or None on timeout, combined output) of ``bash -c command`` in ``cwd``."""
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        command,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        _kill(proc)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 5)
        return None, f"timed out after {timeout:g}s"
    except asyncio.CancelledError:  # the story was stopped: take the command's whole process group with it
        _kill(proc)
        raise
    return proc.returncode, out.decode("utf-8", "replace")


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _inside(root: Path, relative: str) -> Path | None:
    """``relative`` under ``root``, or None when it points outside (an absolute path or ``..``)."""
    path = (root / relative).resolve()
    return path if path == root.resolve() or root.resolve() in path.parents else None


def _matches(root: Path, pattern: str) -> list[str]:
    if os.path.isabs(pattern) or ".." in Path(pattern).parts:
        return []
    return globbing.glob(pattern, root_dir=root, recursive=True)


class Checker:
    """Runs the PRD's checks in one worktree with one environment."""

    def __init__(self, env: Mapping[str, str], timeout: float = CHECK_TIMEOUT) -> None:
        self.env = env
        self.timeout = timeout

    async def quality(self, name: str, command: str, cwd: Path) -> CheckResult:
        started = time.monotonic()
        code, output = await run_command(command, cwd, self.env, self.timeout)
        ok = code == 0
        if not ok:
            status = "timed out" if code is None else f"exit status {code}"
            output = f"$ {command}\n{status}\n{trim(output)}"
        return CheckResult(
            name=name,
            kind="quality",
            ok=ok,
            output=output if not ok else trim(output, 200, 300),
            seconds=time.monotonic() - started,
        )

    async def verify(self, index: int, step: VerificationStep, cwd: Path) -> CheckResult:
        started = time.monotonic()
        name = step.name or f"{step.__struct_config__.tag}#{index + 1}"
        if isinstance(step, ShellStep):
            ok, output = await self._shell(step, cwd)
        elif isinstance(step, FileExistsStep):
            ok, output = self._file(step, cwd)
        else:
            ok, output = await self._url(step)
        return CheckResult(name=name, kind="verify", ok=ok, output=output, seconds=time.monotonic() - started)

    async def _shell(self, step: ShellStep, root: Path) -> tuple[bool, str]:
        cwd = _inside(root, step.cwd or ".")
        if cwd is None or not cwd.is_dir():
            return False, f"cwd {step.cwd!r} is not a directory inside the worktree"
        code, output = await run_command(step.command, cwd, self.env, self.timeout)
        problems = []
        if code != 0:
            problems.append("timed out" if code is None else f"exit status {code}")
        problems += [f"output lacks {text!r}" for text in step.expect_output_contains if text not in output]
        problems += [f"no file matches {p!r}" for p in step.expect_files_glob if not _matches(root, p)]
        if problems:
            return False, f"$ {step.command}\n{'; '.join(problems)}\n{trim(output)}"
        return True, trim(output, 200, 300)

    def _file(self, step: FileExistsStep, root: Path) -> tuple[bool, str]:
        if step.glob:
            found = _matches(root, step.path)
            return (True, f"{len(found)} match(es)") if found else (False, f"no file matches {step.path!r}")
        path = _inside(root, step.path)
        if path is None:
            return False, f"{step.path!r} points outside the worktree"
        return (True, "exists") if path.exists() else (False, f"{step.path} does not exist")

    async def _url(self, step: UrlStep) -> tuple[bool, str]:
        import aiohttp

        try:
            timeout = aiohttp.ClientTimeout(total=step.timeout_secs)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.request(step.method, step.url) as response,
            ):
                body = await response.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return False, f"{step.method} {step.url}: {type(exc).__name__}: {exc}"
        problems = []
        if response.status != step.expect_status:
            problems.append(f"status {response.status}, expected {step.expect_status}")
        problems += [f"body lacks {text!r}" for text in step.expect_body_contains if text not in body]
        if problems:
            return False, f"{step.method} {step.url}: {'; '.join(problems)}\n{trim(body, 500, 500)}"
        return True, f"{step.method} {step.url}: {response.status}"


async def run_all(
    checker: Checker,
    checks: QualityChecks,
    steps: list[VerificationStep],
    cwd: Path,
    on_check=None,
) -> list[CheckResult]:
    """Every quality check, then every verification step, in order; ``on_check(name)`` before each."""
    results = []
    for name, command in checks.items():
        if on_check:
            on_check(name)
        results.append(await checker.quality(name, command, cwd))
    for index, step in enumerate(steps):
        result_name = step.name or f"{step.__struct_config__.tag}#{index + 1}"
        if on_check:
            on_check(result_name)
        results.append(await checker.verify(index, step, cwd))
    return results
