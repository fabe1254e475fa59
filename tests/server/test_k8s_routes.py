"""/v1/k8s/* on a real aiohttp server, the manager talking to the fake API server."""

import datetime as dt

import aiohttp
import pytest
from aiohttp import web

from codetether.bus import AgentBus
from codetether.config.schema import K8sSection
from codetether.k8s.connect import connect
from codetether.k8s.manager import K8sManager
from codetether.k8s.settings import K8sSettings
from codetether.security.audit import AuditLog, AuditQuery, query
from codetether.security.auth import TokenAuth
from codetether.server import k8s_routes
from codetether.server.app import AUDIT_WRITER_KEY, build_app

TOKEN = "t0ken-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def fake_k8s():
    from tests.fakes.k8s import FakeKubernetes

    server = await FakeKubernetes().start()
    yield server
    await server.stop()


async def serve(tmp_path, environ):
    app = build_app(AgentBus(), TokenAuth(TOKEN), AuditLog(tmp_path / "audit"))
    settings = K8sSettings.resolve(K8sSection(unready_seconds=60), environ, service_account_dir=tmp_path / "no-sa")
    k8s_routes.add_routes(app, K8sManager(settings, connect(environ, home=tmp_path), app[AUDIT_WRITER_KEY]))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


async def test_routes_against_a_cluster(fake_k8s, tmp_path):
    fake_k8s.add_deployment("codetether", replicas=2)
    sick = fake_k8s.pods()[0]["metadata"]["name"]
    fake_k8s.set_ready(sick, False, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    environ = {"KUBECONFIG": str(fake_k8s.kubeconfig(tmp_path / "kubeconfig")), "HOSTNAME": "pod-a"}
    runner, url = await serve(tmp_path, environ)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.get(f"{url}/v1/k8s/status") as r:
                body = await r.json()
                assert r.status == 200 and body["enabled"] and body["replicas"] == 2 and body["pod"] == "pod-a"
            async with http.get(f"{url}/v1/k8s/health") as r:
                body = await r.json()
                assert r.status == 200 and body["healthy"] is False and body["unhealthy"] == [sick]
            async with http.post(f"{url}/v1/k8s/reconcile") as r:
                body = await r.json()
                assert r.status == 200 and body["action"] == "restart"
            async with http.post(f"{url}/v1/k8s/scale", json={"replicas": 3}) as r:
                body = await r.json()
                assert r.status == 200 and body["outcome"] == "ok"
            for bad in ({"replicas": "3"}, {"replica": 3}, None):
                async with http.post(f"{url}/v1/k8s/scale", json=bad) as r:
                    assert r.status == 400 and "invalid body" in (await r.json())["error"]
            async with http.post(f"{url}/v1/k8s/scale", json={"replicas": -2}) as r:
                assert r.status == 400 and "between 0 and 1000" in (await r.json())["error"]
            async with http.get(f"{url}/v1/k8s/actions") as r:
                body = await r.json()
                assert [(a["action"], a["outcome"]) for a in body["actions"]] == [("reconcile", "ok"), ("scale", "ok")]
                assert body["last_reconcile"]["action"] == "restart"
            fake_k8s.token = "rotated"
            async with http.get(f"{url}/v1/k8s/status") as r:
                body = await r.json()
                assert r.status == 502 and body["kubernetes_status"] == 401
        writer = runner.app[AUDIT_WRITER_KEY]
        await writer.flush()
        actions = [r.action for r in query(AuditQuery(limit=1000), tmp_path / "audit") if r.action.startswith("k8s.")]
        assert actions == ["k8s.reconcile", "k8s.scale"]
        assert fake_k8s.get("deployments", "codetether")["spec"]["replicas"] == 3
    finally:
        await runner.cleanup()


async def test_routes_without_a_cluster(tmp_path):
    runner, url = await serve(tmp_path, {})
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.get(f"{url}/v1/k8s/status") as r:
                body = await r.json()
                assert r.status == 200 and body["enabled"] is False and "no kubeconfig" in body["reason"]
            for method, path in (("GET", "health"), ("POST", "reconcile")):
                async with http.request(method, f"{url}/v1/k8s/{path}") as r:
                    assert r.status == 503 and "disabled" in (await r.json())["error"]
            async with http.post(f"{url}/v1/k8s/scale", json={"replicas": 1}) as r:
                assert r.status == 503
            async with http.get(f"{url}/v1/k8s/actions") as r:
                assert r.status == 200 and (await r.json())["actions"] == []
        async with aiohttp.ClientSession() as anonymous, anonymous.get(f"{url}/v1/k8s/status") as r:
            assert r.status == 401
    finally:
        await runner.cleanup()
