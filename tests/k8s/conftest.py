import pytest

from codetether.config.schema import K8sSection
from codetether.k8s.connect import connect
from codetether.k8s.manager import K8sManager
from codetether.k8s.settings import K8sSettings
from codetether.security.audit import AuditLog
from codetether.security.audit_writer import AuditWriter


@pytest.fixture
async def fake_k8s():
    from tests.fakes.k8s import FakeKubernetes

    server = await FakeKubernetes().start()
    yield server
    await server.stop()


@pytest.fixture
def kubeconfig(fake_k8s, tmp_path):
    return fake_k8s.kubeconfig(tmp_path / "kube" / "config")


@pytest.fixture
def audit_writer(tmp_path):
    return AuditWriter(AuditLog(tmp_path / "audit"))


@pytest.fixture
def make_manager(kubeconfig, tmp_path, audit_writer):
    """``make_manager(pod="a", unready_seconds=60)``: a replica's manager talking to the fake cluster."""

    def make(pod: str = "replica-a", **section) -> K8sManager:
        section.setdefault("deployment_name", "codetether")
        environ = {"KUBECONFIG": str(kubeconfig), "HOSTNAME": pod}
        settings = K8sSettings.resolve(K8sSection(**section), environ, service_account_dir=tmp_path / "no-sa")
        return K8sManager(settings, connect(environ), audit_writer)

    return make
