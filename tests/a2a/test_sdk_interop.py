"""The official a2a-sdk client (tests/a2a/interop/sdk_client.py, its own process) against `codetether serve`.

Every combination of spec version (1.0, 0.3) and transport (JSON-RPC, gRPC) runs the driver's whole
scenario (send, stream, get, list, cancel, subscribe, push config CRUD, missing task, extended card);
every step must pass. The server runs the scripted test executor ("slow" is long-running and
cancelable) and may push to loopback, where a webhook receiver in this process answers.
"""

import asyncio
import json
import sys

import pytest
from aiohttp import web

from .drivers import TOKEN
from .serve import REPO, ServeProcess

SDK_CLIENT = REPO / "tests" / "a2a" / "interop" / "sdk_client.py"


@pytest.fixture
async def hook():
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


@pytest.fixture
def server(tmp_path):
    serve = ServeProcess(tmp_path, "-o", "a2a.allow_private_push_urls=true").start()
    yield serve
    code = serve.stop()
    assert code == 0, serve.stderr()


def failures(report: dict) -> str:
    bad = [step for step in report.get("steps", []) if not step.get("ok")]
    return json.dumps(bad, indent=1, default=str)[:6000]


@pytest.mark.parametrize("transport", ["JSONRPC", "GRPC"])
@pytest.mark.parametrize("version", ["1.0", "0.3"])
async def test_sdk_client_scenario(server, hook, tmp_path, version, transport):
    hook_url = hook
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SDK_CLIENT),
        "--card-url",
        server.http_url + "/.well-known/agent-card.json",
        "--token",
        TOKEN,
        "--protocol-version",
        version,
        "--transport",
        transport,
        "--push-url",
        hook_url,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=240)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"sdk_client did not finish; server log:\n{server.stderr()}") from None
    assert stdout.strip(), f"no report (exit {proc.returncode}):\n{stderr.decode()[-4000:]}"
    report = json.loads(stdout.decode().strip().splitlines()[-1])
    steps = [step["name"] for step in report["steps"]]
    assert steps == [
        "fetch_card",
        "send_blocking",
        "stream",
        "get_task_history_1",
        "list_tasks",
        "cancel_running",
        "subscribe_then_cancel",
        "message_reply",
        "subscribe_waiting",
        "push_config_crud",
        "get_missing_task",
        "extended_card",
    ]
    assert all(step["ok"] for step in report["steps"]), f"failing steps:\n{failures(report)}"
    assert proc.returncode == 0
    expected_version = "0.3" if version == "0.3" else "1.0"
    assert report["selected_interface"]["protocolBinding"] == transport
    assert report["selected_interface"]["protocolVersion"].startswith(expected_version)
    card_step = next(step for step in report["steps"] if step["name"] == "extended_card")
    assert card_step["detail"]["outcome"] == "card"  # served (authenticated), not a cached public card error
