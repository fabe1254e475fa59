"""`codetether k8s manifests`: every document is a valid Kubernetes object by the client's OpenAPI models."""

import json
import re

import kubernetes.client
import pytest
import yaml

KIND_MODELS = {
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Service"): "V1Service",
    ("v1", "Secret"): "V1Secret",
    ("v1", "Pod"): "V1Pod",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
}
PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def check(value, type_name: str, where: str) -> None:
    """``value`` matches the OpenAPI type: no unknown field anywhere, every type right."""
    if type_name in PRIMITIVES:
        assert isinstance(value, PRIMITIVES[type_name]) and not (type_name != "bool" and value is True), where
        return
    if type_name == "object":  # IntOrString and friends
        assert isinstance(value, (str, int)), where
        return
    if list_of := re.fullmatch(r"list\[(.+)\]", type_name):
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            check(item, list_of[1], f"{where}[{i}]")
        return
    if dict_of := re.fullmatch(r"dict[(\[]str, (.+)[)\]]", type_name):
        assert isinstance(value, dict), where
        for key, item in value.items():
            check(item, dict_of[1], f"{where}.{key}")
        return
    model = getattr(kubernetes.client, type_name)
    assert isinstance(value, dict), where
    by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
    for key, item in value.items():
        assert key in by_json, f"{where}: unknown field {key!r} for {type_name}"
        check(item, model.openapi_types[by_json[key]], f"{where}.{key}")


class _Response:
    def __init__(self, doc) -> None:
        self.data = json.dumps(doc)


def validate(doc) -> object:
    model = KIND_MODELS[(doc["apiVersion"], doc["kind"])]
    check(doc, model, doc["kind"])
    # The client's own deserializer also enforces required fields (a container without a name, ...).
    return kubernetes.client.ApiClient().deserialize(_Response(doc), model)


def manifests(cli, *args):
    result = cli("k8s", "manifests", *args)
    assert result.code == 0, result.stderr
    assert "kubectl create secret generic codetether-auth" in result.stderr
    return list(yaml.safe_load_all(result.stdout))


def test_one_replica_on_the_embedded_store(cli):
    docs = manifests(cli)
    kinds = [d["kind"] for d in docs]
    assert kinds == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Deployment",
    ]
    for doc in docs:
        validate(doc)
    server = docs[3]
    assert server["spec"]["replicas"] == 1
    env = {e["name"] for e in server["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {"CODETETHER_K8S_NAMESPACE", "CODETETHER_POD_NAME", "CODETETHER_AUTH_TOKEN"} <= env
    assert "CODETETHER_STORE_URL" not in env


def test_replicas_with_postgres(cli):
    url = "postgresql://ct:secret@db:5432/ct"
    docs = manifests(cli, "--replicas", "3", "--postgres", url, "--namespace", "agents", "--workers", "2")
    for doc in docs:
        validate(doc)
        assert doc["metadata"]["namespace"] == "agents"
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert secret["stringData"] == {"url": url}
    server, worker = (d for d in docs if d["kind"] == "Deployment")
    assert server["spec"]["replicas"] == 3 and worker["spec"]["replicas"] == 2
    assert url not in json.dumps(server)  # the URL (with its password) only in the Secret
    role = next(d for d in docs if d["kind"] == "Role")
    leases = next(r for r in role["rules"] if r["apiGroups"] == ["coordination.k8s.io"])
    assert set(leases["verbs"]) == {"get", "create", "update"}


def test_the_validator_catches_a_bad_field():
    with pytest.raises(AssertionError, match="unknown field 'replica'"):
        validate({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replica": 2}})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replicas", "2"], "2 replicas need a shared task store"),
        (["--replicas", "0"], "--replicas must be 1 or more"),
        (["--postgres", "mysql://x"], "must be a postgresql:// URL"),
    ],
)
def test_bad_arguments_are_one_line_errors(cli, args, message):
    result = cli("k8s", "manifests", *args)
    assert result.code != 0 and result.stdout == ""
    assert message in result.stderr and "Traceback" not in result.stderr
