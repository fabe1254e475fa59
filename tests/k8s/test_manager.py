"""The manager against the fake API server, through the official client."""

import asyncio
import datetime as dt
import shutil
import ssl
import subprocess

import pytest

from codetether.config.schema import K8sSection
from codetether.k8s.connect import connect
from codetether.k8s.errors import K8sDisabled, K8sError
from codetether.k8s.manager import K8sManager
from codetether.k8s.settings import K8sSettings
from codetether.security.audit import AuditQuery, query

LEASE = "codetether-codetether-ops"


def long_ago(seconds: float = 600) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)


async def test_disabled_without_a_cluster(tmp_path):
    environ = {"HOME": str(tmp_path)}
    settings = K8sSettings.resolve(K8sSection(), environ, service_account_dir=tmp_path / "none")
    manager = K8sManager(settings, connect(environ, home=tmp_path))
    status = await manager.status()
    assert status.enabled is False
    assert "no kubeconfig" in status.reason
    with pytest.raises(K8sDisabled, match="kubernetes is disabled"):
        await manager.scale(2)


def test_a_broken_kubeconfig_disables_with_its_reason(tmp_path):
    bad = tmp_path / "config"
    bad.write_text("clusters: [")
    connection = connect({"KUBECONFIG": str(bad)})
    assert connection.client is None
    assert str(bad) in connection.reason


def test_settings_from_the_pod_environment(tmp_path):
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "namespace").write_text("agents\n")
    environ = {"CODETETHER_DEPLOYMENT_NAME": "ct", "CODETETHER_POD_NAME": "ct-abc", "HOSTNAME": "other"}
    settings = K8sSettings.resolve(K8sSection(), environ, service_account_dir=sa)
    assert (settings.namespace, settings.deployment, settings.pod) == ("agents", "ct", "ct-abc")
    configured = K8sSettings.resolve(K8sSection(namespace="x", deployment_name="d"), environ, service_account_dir=sa)
    assert (configured.namespace, configured.deployment) == ("x", "d")  # [k8s] wins over the pod's defaults


async def test_status(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=3)
    status = await make_manager().status()
    assert status.enabled and status.source.startswith("kubeconfig:")
    assert (status.replicas, status.available_replicas, status.ready_replicas) == (3, 3, 3)
    assert status.pod == "replica-a"


async def test_wrong_token_and_missing_deployment_are_clear_errors(fake_k8s, make_manager):
    manager = make_manager()
    with pytest.raises(K8sError, match="HTTP 404.*not found") as missing:
        await manager.status()
    assert missing.value.status == 404
    fake_k8s.add_deployment("codetether")
    fake_k8s.token = "rotated"
    with pytest.raises(K8sError, match="HTTP 401") as refused:
        await manager.status()
    assert "credentials were refused" in str(refused.value)


async def test_scale_under_the_lease_is_recorded(fake_k8s, make_manager, audit_writer, tmp_path):
    fake_k8s.add_deployment("codetether", replicas=1)
    manager = make_manager()
    action = await manager.scale(3)
    assert action.outcome == "ok"
    deployment = fake_k8s.get("deployments", "codetether")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["metadata"]["annotations"]["codetether.run/desired-replicas"] == "3"
    assert len(fake_k8s.pods()) == 3
    lease = fake_k8s.get("leases", LEASE)
    assert lease["metadata"]["annotations"]["codetether.run/operation"] == "scale"
    assert "holderIdentity" not in lease["spec"]  # released once done
    assert [(a.action, a.outcome) for a in manager.actions()] == [("scale", "ok")]
    await audit_writer.flush()
    records = query(AuditQuery(action="k8s.scale"), tmp_path / "audit")
    assert [(r.actor, r.resource, r.detail) for r in records] == [
        ("k8s:replica-a", "deployment/default/codetether", "replicas=3")
    ]


async def test_bad_replica_count_is_refused(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether")
    with pytest.raises(K8sError, match="between 0 and 1000"):
        await make_manager().scale(-1)


async def test_a_live_lease_of_another_replica_blocks_the_change(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=1)
    other = make_manager(pod="replica-b")
    assert await asyncio.to_thread(other.lease.try_acquire, "scale")
    action = await make_manager().scale(4)
    assert action.outcome == "skipped" and LEASE in action.detail
    assert fake_k8s.get("deployments", "codetether")["spec"]["replicas"] == 1


async def test_an_expired_lease_is_taken_over(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=1)
    other = make_manager(pod="replica-b", lease_seconds=6)
    assert await asyncio.to_thread(other.lease.try_acquire, "scale")
    lease = fake_k8s.get("leases", LEASE)
    lease["spec"]["renewTime"] = long_ago(60).strftime("%Y-%m-%dT%H:%M:%S.000000Z")  # it stopped renewing
    assert (await make_manager().scale(2)).outcome == "ok"
    assert fake_k8s.get("leases", LEASE)["spec"]["leaseTransitions"] == 1


async def test_a_409_on_the_lease_is_retried(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=1)
    manager = make_manager()
    await manager.scale(1)  # the Lease exists now, free
    fake_k8s.conflicts = 1  # the next write (taking the Lease) is a 409 Conflict
    assert (await manager.scale(2)).outcome == "ok"
    puts = [path for method, path in fake_k8s.requests if method == "PUT" and LEASE in path]
    assert len(puts) >= 3  # the conflicted take, the retried take, the release
    assert fake_k8s.get("deployments", "codetether")["spec"]["replicas"] == 2


async def test_reconcile_leaves_a_healthy_deployment_alone(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=2)
    report = await make_manager(unready_seconds=60).reconcile()
    assert report.action == "none" and report.unhealthy == []
    assert fake_k8s.restarts == []


async def test_a_pod_unready_past_the_threshold_restarts_once(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=2)
    sick = fake_k8s.pods()[0]["metadata"]["name"]
    fake_k8s.set_ready(sick, False, long_ago())
    manager = make_manager(unready_seconds=60)
    health = await manager.health()
    assert not health.healthy and health.unhealthy == [sick]
    report = await manager.reconcile()
    assert report.action == "restart" and sick in report.reason
    assert len(fake_k8s.restarts) == 1
    assert sick not in {p["metadata"]["name"] for p in fake_k8s.pods()}  # rolled
    assert (await manager.reconcile()).action == "none"
    assert len(fake_k8s.restarts) == 1


async def test_new_pods_get_the_threshold_before_another_restart(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=1)
    fake_k8s.set_ready(fake_k8s.pods()[0]["metadata"]["name"], False, long_ago())
    fake_k8s.new_pods_ready = False
    manager = make_manager(unready_seconds=60)
    assert (await manager.reconcile()).action == "restart"
    fresh = fake_k8s.pods()[0]["metadata"]["name"]
    fake_k8s.set_ready(fresh, False, long_ago())  # the new pod is failing too, but the restart is recent
    report = await manager.reconcile()
    assert report.action == "wait" and "restarted at" in report.reason
    assert len(fake_k8s.restarts) == 1


async def test_two_replicas_racing_restart_once(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=2)
    fake_k8s.set_ready(fake_k8s.pods()[1]["metadata"]["name"], False, long_ago())
    a, b = make_manager(pod="replica-a", unready_seconds=60), make_manager(pod="replica-b", unready_seconds=60)
    # Both read the (absent) Lease before either writes it: both want to restart, one create wins.
    fake_k8s.barrier("GET", f"/leases/{LEASE}", 2)
    reports = await asyncio.gather(a.reconcile(), b.reconcile())
    assert sorted(r.action for r in reports) == ["restart", "skipped"]
    assert len(fake_k8s.restarts) == 1
    assert [p for p in (a, b) if any(x.outcome == "ok" for x in p.actions())]  # one of them did it
    for _ in range(3):  # later rounds, still racing: nothing more to do
        await asyncio.gather(a.reconcile(), b.reconcile())
    assert len(fake_k8s.restarts) == 1


async def test_reconcile_holds_the_desired_replica_count(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=1)
    manager = make_manager()
    await manager.scale(3)
    fake_k8s.get("deployments", "codetether")["spec"]["replicas"] = 1  # drifted (someone else scaled it)
    report = await manager.reconcile()
    assert report.action == "scale" and "desired 3" in report.reason
    assert fake_k8s.get("deployments", "codetether")["spec"]["replicas"] == 3


async def test_the_loop_reconciles_on_its_own(fake_k8s, make_manager):
    fake_k8s.add_deployment("codetether", replicas=1)
    fake_k8s.set_ready(fake_k8s.pods()[0]["metadata"]["name"], False, long_ago())
    assert make_manager(reconcile_seconds=1).start_loop() is False  # auto: only inside a cluster
    assert make_manager(reconcile="off").start_loop() is False
    manager = make_manager(unready_seconds=60, reconcile_seconds=1, reconcile="on")
    assert manager.start_loop() is True
    try:
        async with asyncio.timeout(30):
            while not fake_k8s.restarts:
                await asyncio.sleep(0.05)
    finally:
        await manager.stop_loop()
    assert next((a.action, a.outcome) for a in manager.actions()) == ("reconcile", "ok")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make the cluster's certificate")
async def test_in_cluster_through_the_service_account(tmp_path):
    """A pod's view: KUBERNETES_SERVICE_HOST/PORT, the account's token, CA and namespace; HTTPS verified."""
    from tests.fakes.k8s import FakeKubernetes

    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    cert, key = sa / "ca.crt", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=kubernetes",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    fake = await FakeKubernetes().start(tls=tls)
    try:
        fake.add_deployment("codetether", replicas=2, namespace="agents")
        (sa / "token").write_text(fake.token)
        (sa / "namespace").write_text("agents")
        environ = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(fake.port), "HOSTNAME": "p"}
        connection = connect(environ, service_account_dir=sa)
        assert connection.source == "in-cluster"
        settings = K8sSettings.resolve(K8sSection(), environ, service_account_dir=sa)
        status = await K8sManager(settings, connection).status()
        assert (status.enabled, status.namespace, status.replicas) == (True, "agents", 2)
        (sa / "token").unlink()
        broken = connect(environ, service_account_dir=sa)
        assert broken.client is None and "in-cluster configuration is unusable" in broken.reason
    finally:
        await fake.stop()
