"""`codetether serve` as a real process offers /v1/k8s/* and the cognition routes, set by the environment."""

import asyncio
import json

import aiohttp

from tests.a2a.drivers import TOKEN
from tests.a2a.serve import ServeProcess
from tests.fakes.llm import Fault, Reply

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_serve_mounts_k8s_and_cognition(llm, config_file, tmp_path):
    from tests.fakes.k8s import FakeKubernetes

    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\nmax_retries = 0\n\n'
        '[cognition]\nmodel = "fake/fake-large"\n'
    )
    llm.script(*(Reply(text=f"thought {i}") for i in range(4)), *(Fault("status", status=503) for _ in range(50)))
    fake = await FakeKubernetes().start()
    fake.add_deployment("ct-server", replicas=2, namespace="agents")
    env = {
        "KUBECONFIG": str(fake.kubeconfig(tmp_path / "kubeconfig")),
        "CODETETHER_K8S_NAMESPACE": "agents",
        "CODETETHER_DEPLOYMENT_NAME": "ct-server",
        "CODETETHER_POD_NAME": "ct-server-abc",
        "CODETETHER_COGNITION_AUTO_START": "true",
        "CODETETHER_COGNITION_LOOP_INTERVAL_MS": "100",
    }
    serve = ServeProcess(tmp_path, extra_env=env, executor=None)
    await asyncio.to_thread(serve.start)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            url = serve.http_url
            async with http.get(f"{url}/v1/k8s/status") as r:
                status = await r.json()
            assert r.status == 200, status
            assert (status["enabled"], status["namespace"], status["pod"]) == (True, "agents", "ct-server-abc")
            assert status["replicas"] == 2
            async with http.get(f"{url}/v1/cognition/status") as r:
                status = await r.json()
            assert status["running"] is True and status["loop_interval_ms"] == 100
            async with asyncio.timeout(60):
                while True:  # the loop thinks four times, then the model is down
                    async with http.get(f"{url}/v1/cognition/snapshots/latest") as r:
                        if r.status == 200:
                            snapshot = await r.json()
                            break
                    async with http.get(f"{url}/v1/cognition/stream") as stream:
                        async for raw in stream.content:  # wait for the next event rather than poll
                            if raw.startswith(b"data: "):
                                break
            assert snapshot["summary"] == "thought 3" and snapshot["persona_scope"] == ["root-thinker"]
            async with http.post(f"{url}/v1/cognition/stop", json={"reason": "test"}) as r:
                assert (await r.json())["running"] is False
            async with http.get(f"{url}/v1/swarm/lineage") as r:
                assert (await r.json())["roots"] == ["root-thinker"]
        assert serve.stop() == 0
    finally:
        serve.kill()
        await fake.stop()
    persisted = (tmp_path / "home" / ".local" / "share").rglob("snapshots.jsonl")
    assert [json.loads(line)["summary"] for p in persisted for line in p.read_text().splitlines()] == ["thought 3"]


async def test_cognition_can_be_switched_off(tmp_path):
    serve = ServeProcess(tmp_path, extra_env={"CODETETHER_COGNITION_ENABLED": "false"})
    await asyncio.to_thread(serve.start)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.post(f"{serve.http_url}/v1/cognition/start") as r:
                body = await r.json()
            assert r.status == 503 and "disabled" in body["error"]
            async with http.get(f"{serve.http_url}/v1/k8s/status") as r:
                assert (await r.json())["enabled"] is False
        assert serve.stop() == 0
    finally:
        serve.kill()
