"""`codetether swarm --execution-mode k8s`: each sub-agent a Pod on the fake cluster, through the official client."""

import json

import pytest

from codetether.config import load_config
from codetether.config.schema import K8sSection
from codetether.k8s.connect import connect
from codetether.k8s.pods import SubagentPods, pod_name
from codetether.k8s.settings import K8sSettings
from codetether.runtime import Runtime
from codetether.swarm.orchestrator import Swarm, SwarmOptions
from tests.k8s.test_manifests import validate


@pytest.fixture
def cluster_pods(fake_k8s, kubeconfig, tmp_path):
    environ = {"KUBECONFIG": str(kubeconfig)}
    settings = K8sSettings.resolve(K8sSection(namespace="default"), environ, service_account_dir=tmp_path / "x")
    return SubagentPods(settings, connect(environ))


@pytest.fixture
async def runtime(llm, config_file, tmp_path):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\nmax_retries = 0\n')
    async with Runtime(load_config(cwd=tmp_path)) as rt:
        yield rt


def summary(status: str = "submitted", text: str = "pod answer", steps: int = 2) -> str:
    return "starting\n" + json.dumps({"session_id": "s", "status": status, "text": text, "steps": steps}) + "\n"


async def swarm(runtime, pods, tmp_path, timeout: float = 60.0):
    options = SwarmOptions(task="summarise the repo", strategy="none", timeout=timeout, execution_mode="k8s")
    return await Swarm(runtime, options, cwd=tmp_path, model="fake/fake-large", pods=pods).run()


async def test_a_subagent_runs_as_a_pod(fake_k8s, cluster_pods, runtime, tmp_path, llm):
    fake_k8s.kubelet = lambda pod: ("Succeeded", summary(), 0)
    report = await swarm(runtime, cluster_pods, tmp_path)
    assert report.status == "done", report.subtasks
    (result,) = report.subtasks
    assert (result.status, result.result, result.steps) == ("done", "pod answer", 2)
    assert llm.requests == []  # the model ran in the pod, not here
    (pod,) = fake_k8s.created_pods
    assert pod["spec"]["restartPolicy"] == "Never"
    labels = pod["metadata"]["labels"]
    assert labels["app"] == "codetether" and labels["codetether.run/role"] == "subagent"
    assert labels["codetether.run/swarm-id"] == report.swarm_id
    container = pod["spec"]["containers"][0]
    assert container["args"][:6] == ["run", "--format", "json", "--model", "fake/fake-large", "--max-steps"]
    assert "summarise the repo" in container["args"][-1]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1000m", "memory": "1Gi"},
    }
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["CODETETHER_SUBAGENT_ID"] == f"{report.swarm_id}-task"
    validate({"apiVersion": "v1", "kind": "Pod", **{k: v for k, v in pod.items() if k not in ("apiVersion", "kind")}})
    assert fake_k8s.pods() == []  # cleaned up


async def test_a_failed_pod_fails_its_subtask(fake_k8s, cluster_pods, runtime, tmp_path):
    fake_k8s.kubelet = lambda pod: ("Failed", "Traceback...\nboom: no model\n", 1)
    report = await swarm(runtime, cluster_pods, tmp_path)
    (result,) = report.subtasks
    assert report.status == "failed" and result.status == "failed"
    assert "ended Failed (exit 1)" in result.error and "boom: no model" in result.error
    assert fake_k8s.pods() == []


async def test_a_subagent_that_gave_up_reports_why(fake_k8s, cluster_pods, runtime, tmp_path):
    fake_k8s.kubelet = lambda pod: ("Succeeded", summary(status="max_steps", text="half done"), 0)
    (result,) = (await swarm(runtime, cluster_pods, tmp_path)).subtasks
    assert result.status == "failed" and result.result == "half done" and "max_steps" in result.error


async def test_a_pod_that_never_finishes_times_out_and_is_deleted(fake_k8s, cluster_pods, runtime, tmp_path):
    report = await swarm(runtime, cluster_pods, tmp_path, timeout=1.5)  # no kubelet: the pod stays Pending
    (result,) = report.subtasks
    assert result.status == "timeout" and "timed out" in result.error
    assert fake_k8s.pods() == [] and len(fake_k8s.created_pods) == 1


async def test_a_leftover_pod_of_the_same_name_is_replaced(fake_k8s, cluster_pods):
    import asyncio

    from codetether.k8s.pods import PodSpec

    fake_k8s.kubelet = lambda pod: ("Succeeded", summary(text="second"), 0)
    spec = PodSpec(subagent_id="Swarm_1/Task A", args=["run", "x"])
    assert pod_name(spec.subagent_id) == "codetether-sub-swarm-1-task-a"
    await asyncio.to_thread(cluster_pods.create, spec)  # an earlier run's pod, never cleaned up
    outcome = await cluster_pods.run(spec, timeout=30)
    assert outcome.phase == "Succeeded" and '"second"' in outcome.log
    deletes = [p for m, p in fake_k8s.requests if m == "DELETE"]
    assert len(deletes) == 2  # the leftover, then ours after it ended


def test_k8s_mode_without_a_cluster_is_a_one_line_error(cli):
    result = cli("swarm", "--execution-mode", "k8s", "--strategy", "none", "do it")
    assert result.code != 0 and "--execution-mode k8s: no cluster" in result.stderr
    assert "Traceback" not in result.stderr
