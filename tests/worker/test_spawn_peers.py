"""Two ``codetether spawn`` peers on loopback find each other through --peer, and one's agent sends
the other a task (a2a_peers, then a2a_send) that completes; both agents run on the fake LLM."""

import asyncio
import json
from pathlib import Path

from codetether.a2a.client.client import A2AClient
from codetether.a2a.domain.types import TaskState
from tests.fakes.llm import Call, Reply

from .helpers import GUARD, TOKEN, Proc, free_port


async def found(proc: Proc, name: str) -> None:
    """Read the peer's stderr until it says it found ``name`` (spawn announces each peer it finds)."""
    while f"found peer {name}" not in proc.stderr():
        if proc.proc.returncode is not None:
            raise AssertionError(proc.stderr())
        await asyncio.sleep(0.05)


async def test_two_spawned_peers_find_each_other_and_one_delegates_a_task(llm, config_file, tmp_path: Path):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[default]\nprovider = "fake"\nmodel = "fake-large"\n[agent]\naccess_mode = "approve"\n'
        f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\n'
    )
    llm.route(
        "ask alpha to count",
        Reply(calls=[Call("a2a_peers", {})]),
        Reply(calls=[Call("a2a_send", {"peer": "alpha", "message": "count the letters in tether"})]),
        Reply(text="alpha says tether has 6 letters"),
    )
    # alpha uses a tool, so its answer is a task (a plain chat answer would be a message only).
    llm.route("count the letters in tether", Reply(calls=[Call("list_dir", {})]), Reply(text="6 letters"))
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    alpha = await Proc.start(
        ["spawn", "--name", "alpha", "--port", str(ports[0]), "--peer", urls[1], "--json"],
        tmp_path,
        tmp_path / "alpha.txt",
    )
    beta = await Proc.start(
        ["spawn", "--name", "beta", "--port", str(ports[1]), "--json"],
        tmp_path,
        tmp_path / "beta.txt",
        {"CODETETHER_A2A_PEERS": urls[0]},
    )
    try:
        assert alpha.info["url"] == urls[0] and beta.info["url"] == urls[1]
        await asyncio.wait_for(asyncio.gather(found(alpha, "beta"), found(beta, "alpha")), GUARD)
        async with await A2AClient.connect(urls[1], token=TOKEN) as client:
            result = await asyncio.wait_for(client.send("ask alpha to count the letters"), GUARD)
        text = result.text() if not hasattr(result, "status") else result.status.message.text()
        assert text == "alpha says tether has 6 letters"
        bodies = [json.dumps(r.body) for r in llm.requests]
        peers_listed = next(b for b in bodies if "alpha at http://127.0.0.1" in b)
        assert "reachable" in peers_listed
        assert any("alpha ended task" in b and "completed: 6 letters" in b for b in bodies)
        async with await A2AClient.connect(urls[0], token=TOKEN) as client:
            tasks = (await client.list_tasks()).tasks
        assert [t.status.state for t in tasks] == [TaskState.COMPLETED]
    finally:
        for proc in (alpha, beta):
            assert await proc.stop() == 0
