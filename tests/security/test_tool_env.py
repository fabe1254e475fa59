"""Credentials in the agent's environment never reach a process a tool starts, unless pass_env names them."""

import json
import os
import sys
from pathlib import Path

import pytest

from codetether.config import Config
from codetether.config.schema import AgentSection, SandboxSection
from codetether.security.sandbox import network_isolation
from codetether.security.toolenv import tool_environment
from codetether.tools.lsp_client import LSPClient
from tests.agent.test_run_e2e import configure, events_of, run_cli
from tests.fakes.llm import Call, Reply
from tests.tools.conftest import Harness

SECRETS = {
    "OPENAI_API_KEY": "sk-leak-openai-0001",
    "ANTHROPIC_API_KEY": "sk-ant-leak-0002",
    "CODETETHER_AUTH_TOKEN": "leak-auth-token-0003",
    "VAULT_TOKEN": "hvs.leak-vault-0004",
    "VAULT_ADDR": "http://vault.internal:8200",
    "AWS_ACCESS_KEY_ID": "AKIALEAK00000005",
    "AWS_SECRET_ACCESS_KEY": "leak-aws-secret-0006",
    "GITHUB_TOKEN": "ghp_leak0007",
    "DB_PASSWORD": "leak-db-password-0008",
    "STRIPE_SECRET": "leak-stripe-0009",
}
ORDINARY = {"PROJECT_MODE": "development", "JAVA_HOME": "/opt/jdk"}


@pytest.fixture
def leaky_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**SECRETS, **ORDINARY}.items():
        monkeypatch.setenv(name, value)


def _names(env_output: str) -> set[str]:
    return {line.split("=", 1)[0] for line in env_output.splitlines() if "=" in line}


async def test_a_bash_command_sees_no_credentials(tmp_path, leaky_env):
    harness = Harness(tmp_path)
    out = await harness.ok("bash", command="env")
    assert not any(value in out for value in SECRETS.values()), out
    assert set(ORDINARY) <= _names(out)  # everything else is still there: toolchains keep working


async def test_pass_env_lets_the_listed_credentials_through(tmp_path, leaky_env):
    harness = Harness(tmp_path, settings=Config(agent=AgentSection(pass_env=["GITHUB_TOKEN", "AWS_*"])))
    names = _names(await harness.ok("bash", command="env"))
    assert {"GITHUB_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= names
    assert not names & {"OPENAI_API_KEY", "CODETETHER_AUTH_TOKEN", "VAULT_TOKEN", "DB_PASSWORD"}


async def test_a_sandboxed_bash_command_gets_only_the_listed_credentials(tmp_path, leaky_env):
    if network_isolation() is not None:
        pytest.skip(f"the sandbox cannot isolate the network here: {network_isolation()}")
    tmp_path.chmod(0o777)
    settings = Config(sandbox=SandboxSection(bash=True), agent=AgentSection(pass_env=["GITHUB_TOKEN"]))
    names = _names(await Harness(tmp_path, settings=settings).ok("bash", command="env"))
    assert "GITHUB_TOKEN" in names and not names & (set(SECRETS) - {"GITHUB_TOKEN"})


FAKE_SERVER = Path(__file__).parents[1] / "fakes" / "lsp_server.py"


async def test_a_language_server_sees_no_credentials(tmp_path, leaky_env):
    dump = tmp_path / "env.json"
    client = LSPClient([sys.executable, str(FAKE_SERVER), str(dump)], tmp_path)
    await client.start(timeout=30)
    await client.close()
    names = set(json.loads(dump.read_text()))
    assert not names & set(SECRETS) and set(ORDINARY) <= names


def test_the_policy_drops_secret_shaped_names_and_keeps_the_rest():
    base = {**SECRETS, **ORDINARY, "PATH": "/bin", "my_api_key": "x", "KEYBOARD_LAYOUT": "us"}
    env = tool_environment(base, ["DB_*"])
    assert env == {**ORDINARY, "PATH": "/bin", "DB_PASSWORD": SECRETS["DB_PASSWORD"]}
    assert tool_environment({})["PATH"]  # a shell always has a PATH


async def test_credentials_never_reach_the_model_through_a_command(llm, tmp_path, config_file):
    configure(config_file, llm)
    repo = tmp_path / "repo"
    repo.mkdir()
    llm.script(Reply(calls=[Call("bash", {"command": "env"})]), Reply(text="ok"))
    secrets = {name: value for name, value in SECRETS.items() if not name.startswith("VAULT_")}  # no Vault here
    code, out, err = await run_cli(
        "run", "--model", "fake/fake-large", "--format", "jsonl", "--yolo", "show me env", cwd=repo, env=secrets
    )
    assert code == 0, err
    result = next(e for e in events_of(out) if e["type"] == "tool_result")
    assert "PATH=" in result["output"]
    sent = json.dumps(llm.requests[1].body)
    assert not [name for name, value in secrets.items() if value in sent]
    session_files = list(Path(os.environ["XDG_DATA_HOME"]).rglob("*.json*"))
    assert session_files and not any(
        v in p.read_text(errors="replace") for p in session_files for v in SECRETS.values()
    )
