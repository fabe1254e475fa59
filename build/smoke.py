"""Smoke-test a built artifact as a user would run it: from an empty directory, with a private HOME.

    python build/smoke.py dist/codetether-0.1.0-linux-x86_64            # a binary
    python build/smoke.py python3 dist/codetether-0.1.0-linux-x86_64-cp311.pyz   # a zipapp

Checks, each printed as it passes: ``--version`` prints this checkout's version; ``--help`` lists the
commands; ``serve`` answers ``/health`` with gRPC up (grpc and aiohttp are bundled); ``run`` against the
fake LLM server on loopback (tests/fakes/llm.py, the real OpenAI wire format) makes a ``grep`` call,
which needs the bundled ``rg`` (PATH holds only /usr/bin:/bin), and prints the model's answer.
Run it with the checkout's environment (aiohttp for the fake server); the artifact gets a clean one.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "build"))

import artifacts  # noqa: E402

from tests.fakes.llm import Call, FakeLLM, Reply  # noqa: E402

TIMEOUT = 120.0  # a first zipapp start extracts ~120 MB; a loaded machine is slow, never wrong


def clean_env(home: Path) -> dict[str, str]:
    """What a fresh login has: no venv, no PYTHONPATH, no credentials; bytecode writes off as on our machines."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("TMPDIR", "SHIV_ROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


async def _exec(command: list[str], *args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *command, *args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    return proc.returncode or 0, out.decode(), err.decode()


async def check_version(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    code, out, err = await _exec(command, "--version", cwd=cwd, env=env)
    want = f"codetether {artifacts.version()}\n"
    assert code == 0 and out == want, f"--version: exit {code}, stdout {out!r} (want {want!r}), stderr {err[-2000:]}"


async def check_help(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    code, out, err = await _exec(command, "--help", cwd=cwd, env=env)
    assert code == 0, f"--help: exit {code}: {err[-2000:]}"
    missing = [name for name in ("run", "serve", "config", "sessions") if f"  {name} " not in out]
    assert not missing, f"--help does not list {missing}: {out}"


async def check_serve(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        *command, "serve", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--json",
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)
        if not line:
            err = await proc.stderr.read()
            raise AssertionError(f"serve exited {await proc.wait()} before listening: {err.decode()[-2000:]}")
        addresses = json.loads(line)
        assert addresses.get("grpc_address"), f"serve started without gRPC: {addresses}"
        async with aiohttp.ClientSession() as session, session.get(f"{addresses['http_url']}/health") as response:
            body = await response.text()
            assert response.status == 200, f"/health answered {response.status}: {body}"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), TIMEOUT)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0, f"serve exited {proc.returncode} on SIGTERM"


async def check_run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", "init", "-q"], cwd=cwd, check=True)
    (cwd / "notes.txt").write_text("the needle is here\n")
    llm = await FakeLLM().start()
    try:
        config = Path(env["HOME"], ".config", "codetether-agent", "config.toml")
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n')
        llm.script(Reply(calls=[Call("grep", {"pattern": "needle"})]), Reply(text="The needle is in notes.txt."))
        args = ("run", "--model", "fake/fake-large", "--format", "jsonl", "--yolo", "where is the needle?")
        code, out, err = await _exec(command, *args, cwd=cwd, env=env)
        assert code == 0, f"run: exit {code}: {err[-2000:]}"
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        result = next((e for e in events if e["type"] == "tool_result"), None)
        assert result and not result["is_error"] and "notes.txt" in result["output"], f"grep failed: {result}"
        assert events[-1]["type"] == "done" and events[-1]["text"] == "The needle is in notes.txt.", events[-1]
        assert llm.violations == [], llm.violations
    finally:
        await llm.stop()


CHECKS = [check_version, check_help, check_serve, check_run]


async def smoke(command: list[str], report=print) -> None:
    """Every check against ``command``, each in a fresh empty directory with a private HOME."""
    with tempfile.TemporaryDirectory(prefix="codetether-smoke-") as tmp:
        home = Path(tmp, "home")
        home.mkdir()
        env = clean_env(home)
        for check in CHECKS:
            cwd = Path(tmp, check.__name__)
            cwd.mkdir()
            await check(command, cwd, env)
            report(f"ok  {check.__name__.removeprefix('check_')}")


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    command = [str(Path(part).resolve()) if Path(part).exists() else part for part in sys.argv[1:]]
    try:
        asyncio.run(smoke(command))
    except AssertionError as exc:
        raise SystemExit(f"smoke FAILED: {exc}") from None
    print(f"smoke passed: {' '.join(command)}")


if __name__ == "__main__":
    main()
