"""A worker with ``--auto-approve safe`` may read, but starting a language server runs the project's
code: the lsp tool's start is refused and the task ends ``input-required`` naming the exact command."""

import json
import shlex
import sys
from pathlib import Path

import pytest

from codetether.a2a.client.client import A2AClient
from tests.fakes.llm import Call, Reply
from tests.tools.test_lsp_permission import descendants

from .helpers import TOKEN, input_required, start_serve, start_worker
from .test_fleet_e2e import configure


async def test_safe_worker_starts_no_language_server_and_asks(llm, config_file, tmp_path: Path):
    pytest.importorskip("pylsp", reason="python-lsp-server is a dev dependency")
    pylsp = shlex.join([str(Path(sys.executable).parent / "pylsp")])
    configure(config_file, llm)
    llm.route(
        "do task-lsp now",
        Reply(calls=[Call("lsp", {"operation": "symbols", "file_path": "lib.py"})]),
        Reply(text="should not be asked"),
    )
    work = tmp_path / "ws"
    work.mkdir()
    (work / "lib.py").write_text("def area(r):\n    return 3.14 * r * r\n")
    serve = await start_serve(tmp_path)
    worker = await start_worker(
        serve.info["http_url"], work, "lsp", "--auto-approve", "safe", "--model", "fake/fake-large"
    )
    try:
        async with await A2AClient.connect(serve.info["http_url"], token=TOKEN) as client:
            task = await client.send("please do task-lsp now", blocking=False)
            task = await input_required(client, task.id)
        question = task.status.message.text()
        assert f"needs approval (auto-approve=safe): lsp wants to execute {pylsp!r}" in question
        assert not any("pylsp" in line for line in descendants(worker.proc.pid))
        assert not any("should not be asked" in json.dumps(r.body) for r in llm.requests[1:])
    finally:
        await worker.stop()
        assert await serve.stop() == 0
