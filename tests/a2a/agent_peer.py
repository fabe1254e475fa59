"""A real in-process peer running the real agent executor on the fake LLM server (HTTP only): what the
executor and context-ownership tests talk to over JSON-RPC."""

import subprocess
from pathlib import Path

from codetether.a2a.server.agent_executor import AgentExecutor
from codetether.config import load_config
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from tests.agent.test_run_e2e import configure
from tests.fakes.llm import FakeLLM


async def start_agent_peer(llm: FakeLLM, tmp_path: Path, config_file: Path, token: str, config: str = "") -> Peer:
    """The peer (``peer.repo``: the git repo its agent works in; ``await peer.stop()`` ends it); ``config``
    is added to the config file after the fake provider."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    configure(config_file, llm, config)
    executor = AgentExecutor(load_config(cwd=repo), repo, model="fake/fake-large")
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0), executor, TokenAuth(token), audit=AuditLog(tmp_path / "audit"), grpc=False
    )
    peer.repo = repo
    return peer
