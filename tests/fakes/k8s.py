"""A loopback Kubernetes API server for the paths CodeTether calls, driven by the official client.

Implements apps/v1 Deployments (get, list, merge/strategic patch), core/v1 Pods (list with a label
selector, create, get, delete, log) and coordination.k8s.io/v1 Leases (create, get, replace), with
what the real server does that matters to a client: a bearer token (401 ``Unauthorized``),
``Status`` error bodies with reasons (404 ``NotFound``, 409 ``AlreadyExists``/``Conflict``, 422
``Invalid``), a cluster-wide ``resourceVersion`` bumped on every write, and optimistic concurrency: a
replace carrying an old ``resourceVersion`` is a 409 Conflict. A Deployment whose pod template
changes rolls its pods (new pods, ready or not as the test says); a change of ``replicas`` adds or
removes pods. ``conflicts`` forces 409s on the next writes, to test retries.
"""

import asyncio
import copy
import datetime as dt
import itertools
import json
import secrets
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

GROUPS = {
    "deployments": "/apis/apps/v1/namespaces/{ns}/deployments",
    "pods": "/api/v1/namespaces/{ns}/pods",
    "leases": "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
}
KINDS = {"deployments": ("apps/v1", "Deployment"), "pods": ("v1", "Pod"), "leases": ("coordination.k8s.io/v1", "Lease")}


def stamp(when: dt.datetime | None = None) -> str:
    return (when or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_body(code: int, reason: str, message: str) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message}
    body.update(reason=reason, code=code)
    return web.json_response(body, status=code)


def matches(obj: dict, labels: dict[str, str]) -> bool:
    have = obj["metadata"].get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


def is_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or [])


def merge(target: dict, patch: dict) -> dict:
    """RFC 7386 JSON merge patch (what a strategic merge patch also does for the fields we touch)."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeKubernetes:
    def __init__(self) -> None:
        self.token = secrets.token_hex(16)
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (resource, namespace, name)
        self.logs: dict[str, str] = {}  # pod name -> its log
        self.requests: list[tuple[str, str]] = []
        self.conflicts = 0  # the next N writes answer 409 Conflict
        self.new_pods_ready = True  # readiness of pods a rollout or scale-up creates
        self.restarts: list[str] = []  # restartedAt values seen, one per template change
        self._barriers: list[list] = []  # [method, path part, count, arrived, event]
        # The kubelet: given a created pod, its final (phase, log, exit code); None leaves pods Pending.
        self.kubelet: Callable[[dict], tuple[str, str, int]] | None = None
        self.created_pods: list[dict] = []  # every pod body POSTed, as sent
        self._rv = itertools.count(1000)
        self._uid = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.scheme = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    async def start(self, tls: "ssl.SSLContext | None" = None) -> "FakeKubernetes":
        """``tls``: serve HTTPS (as a cluster's API server does to its pods) with this context."""
        self.scheme = "https" if tls else "http"
        app = web.Application(middlewares=[self._auth])
        for resource, prefix in GROUPS.items():
            app.router.add_get(prefix, self._list(resource))
            app.router.add_post(prefix, self._create(resource))
            app.router.add_get(prefix + "/{name}", self._get(resource))
            app.router.add_put(prefix + "/{name}", self._replace(resource))
            app.router.add_patch(prefix + "/{name}", self._patch(resource))
            app.router.add_delete(prefix + "/{name}", self._delete(resource))
        app.router.add_get(GROUPS["pods"] + "/{name}/log", self._log)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def kubeconfig(self, path: Path, namespace: str = "default") -> Path:
        """A kubeconfig (JSON is YAML) pointing at this server with its token."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": self.token}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": namespace}}],
            "current-context": "fake",
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config))
        return path

    # --- test helpers -----------------------------------------------------------------------------
    def add_deployment(self, name: str, replicas: int = 2, namespace: str = "default", ready: bool = True) -> dict:
        labels = {"app": name}
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "codetether", "image": "codetether:test"}]},
                },
            },
        }
        self._store("deployments", namespace, body)
        self._roll(body, ready=ready)
        return body

    def set_ready(self, pod: str, ready: bool, since: dt.datetime, namespace: str = "default") -> None:
        obj = self.objects[("pods", namespace, pod)]
        obj["status"]["conditions"] = [{"type": "Ready", "status": str(ready), "lastTransitionTime": stamp(since)}]
        obj["metadata"]["resourceVersion"] = str(next(self._rv))

    def barrier(self, method: str, path_part: str, count: int) -> None:
        """Hold the next ``count`` matching requests until all of them arrived: a race made certain."""
        self._barriers.append([method, path_part, count, 0, asyncio.Event()])

    def pods(self, namespace: str = "default") -> list[dict]:
        return [o for (r, ns, _), o in self.objects.items() if r == "pods" and ns == namespace]

    def get(self, resource: str, name: str, namespace: str = "default") -> dict | None:
        return self.objects.get((resource, namespace, name))

    # --- machinery --------------------------------------------------------------------------------
    @web.middleware
    async def _auth(self, request: web.Request, handler):
        self.requests.append((request.method, request.path_qs))
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or credential != self.token:  # the scheme is case-insensitive (RFC 7235)
            return status_body(401, "Unauthorized", "Unauthorized")
        for entry in self._barriers:
            method, part, count, arrived, event = entry
            if request.method == method and part in request.path and arrived < count:
                entry[3] += 1
                if entry[3] == count:
                    event.set()
                await event.wait()
                break
        return await handler(request)

    def _store(self, resource: str, namespace: str, body: dict) -> dict:
        meta = body.setdefault("metadata", {})
        meta["namespace"] = namespace
        meta["resourceVersion"] = str(next(self._rv))
        meta.setdefault("uid", f"uid-{next(self._uid)}")
        meta.setdefault("creationTimestamp", stamp())
        api_version, kind = KINDS[resource]
        body["apiVersion"], body["kind"] = api_version, kind
        self.objects[(resource, namespace, meta["name"])] = body
        return body

    def _conflict(self) -> web.Response | None:
        if self.conflicts > 0:
            self.conflicts -= 1
            return status_body(409, "Conflict", "Operation cannot be fulfilled: the object has been modified")
        return None

    def _view(self, resource: str, body: dict) -> dict:
        if resource != "deployments":
            return body
        view = copy.deepcopy(body)
        ns = body["metadata"]["namespace"]
        labels = body["spec"]["selector"]["matchLabels"]
        template = json.dumps(body["spec"]["template"], sort_keys=True)
        mine = [
            p for p in self.pods(ns) if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
        ]
        ready = [
            p for p in mine if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])
        ]
        updated = [p for p in mine if p["metadata"].get("annotations", {}).get("fake/template") == template]
        view["status"] = {
            "observedGeneration": body["metadata"].get("generation", 1),
            "replicas": len(mine),
            "readyReplicas": len(ready),
            "availableReplicas": len(ready),
            "updatedReplicas": len(updated),
        }
        return view

    def _roll(self, deployment: dict, *, ready: bool | None = None) -> None:
        """Bring the pods in line: new ones for a changed template, as many as ``replicas``."""
        ns = deployment["metadata"]["namespace"]
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["selector"]["matchLabels"]
        template = json.dumps(deployment["spec"]["template"], sort_keys=True)
        mine = [
            p for p in self.pods(ns) if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
        ]
        for pod in mine:
            if pod["metadata"].get("annotations", {}).get("fake/template") != template:
                del self.objects[("pods", ns, pod["metadata"]["name"])]
        mine = [
            p for p in self.pods(ns) if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
        ]
        want = deployment["spec"].get("replicas", 1)
        for pod in mine[want:]:
            del self.objects[("pods", ns, pod["metadata"]["name"])]
        is_ready = self.new_pods_ready if ready is None else ready
        for _ in range(want - len(mine[:want])):
            pod_name = f"{name}-{secrets.token_hex(3)}"
            self._store(
                "pods",
                ns,
                {
                    "metadata": {
                        "name": pod_name,
                        "labels": dict(labels),
                        "annotations": {"fake/template": template},
                    },
                    "spec": copy.deepcopy(deployment["spec"]["template"]["spec"]),
                    "status": {
                        "phase": "Running",
                        "conditions": [{"type": "Ready", "status": str(is_ready), "lastTransitionTime": stamp()}],
                        "containerStatuses": [],
                    },
                },
            )

    # --- handlers ---------------------------------------------------------------------------------
    def _run_pod(self, ns: str, name: str) -> None:
        pod = self.objects.get(("pods", ns, name))
        if pod is None or self.kubelet is None:
            return
        phase, log, exit_code = self.kubelet(pod)
        self.logs[name] = log
        terminated = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error"}
        pod["status"] = {
            "phase": phase,
            "conditions": [],
            "containerStatuses": [
                {
                    "name": pod["spec"]["containers"][0]["name"],
                    "ready": False,
                    "restartCount": 0,
                    "image": pod["spec"]["containers"][0].get("image", ""),
                    "imageID": "",
                    "state": {"terminated": terminated},
                }
            ],
        }
        pod["metadata"]["resourceVersion"] = str(next(self._rv))

    def _list(self, resource: str):
        async def handler(request: web.Request) -> web.Response:
            ns = request.match_info["ns"]
            wanted = {}
            for term in filter(None, request.query.get("labelSelector", "").split(",")):
                key, _, value = term.partition("=")
                wanted[key] = value
            items = [
                self._view(resource, o)
                for (r, n, _), o in sorted(self.objects.items())
                if r == resource
                and n == ns
                and all((o["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
            ]
            api_version, kind = KINDS[resource]
            body = {
                "apiVersion": api_version,
                "kind": f"{kind}List",
                "metadata": {"resourceVersion": str(next(self._rv))},
            }
            body["items"] = items
            return web.json_response(body)

        return handler

    def _get(self, resource: str):
        async def handler(request: web.Request) -> web.Response:
            ns, name = request.match_info["ns"], request.match_info["name"]
            obj = self.objects.get((resource, ns, name))
            if obj is None:
                return status_body(404, "NotFound", f'{resource} "{name}" not found')
            return web.json_response(self._view(resource, obj))

        return handler

    def _create(self, resource: str):
        async def handler(request: web.Request) -> web.Response:
            ns = request.match_info["ns"]
            body = await request.json()
            name = (body.get("metadata") or {}).get("name")
            if not name:
                return status_body(422, "Invalid", f"{resource}: metadata.name: Required value")
            if (resource, ns, name) in self.objects:
                return status_body(409, "AlreadyExists", f'{resource} "{name}" already exists')
            body["metadata"].pop("resourceVersion", None)
            if resource == "pods":
                self.created_pods.append(copy.deepcopy(body))
                body.setdefault("status", {"phase": "Pending", "conditions": []})
                if self.kubelet is not None:
                    asyncio.get_running_loop().call_soon(self._run_pod, ns, name)
            return web.json_response(self._store(resource, ns, body), status=201)

        return handler

    def _replace(self, resource: str):
        async def handler(request: web.Request) -> web.Response:
            ns, name = request.match_info["ns"], request.match_info["name"]
            current = self.objects.get((resource, ns, name))
            if current is None:
                return status_body(404, "NotFound", f'{resource} "{name}" not found')
            body = await request.json()
            sent = (body.get("metadata") or {}).get("resourceVersion")
            conflict = self._conflict()
            if conflict is not None:
                return conflict
            if sent != current["metadata"]["resourceVersion"]:
                return status_body(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                )
            body["metadata"]["uid"] = current["metadata"]["uid"]
            body["metadata"]["creationTimestamp"] = current["metadata"]["creationTimestamp"]
            return web.json_response(self._view(resource, self._store(resource, ns, body)))

        return handler

    def _patch(self, resource: str):
        async def handler(request: web.Request) -> web.Response:
            ns, name = request.match_info["ns"], request.match_info["name"]
            kind = request.headers.get("Content-Type", "")
            if kind not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                return status_body(
                    415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}"
                )
            current = self.objects.get((resource, ns, name))
            if current is None:
                return status_body(404, "NotFound", f'{resource} "{name}" not found')
            conflict = self._conflict()
            if conflict is not None:
                return conflict
            before = json.dumps(current.get("spec", {}).get("template"), sort_keys=True)
            patched = merge(copy.deepcopy(current), await request.json())
            if patched.get("spec", {}).get("replicas", 0) < 0:
                return status_body(422, "Invalid", "spec.replicas: Invalid value: must be greater than or equal to 0")
            if patched.get("spec") != current.get("spec"):
                patched["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
            self._store(resource, ns, patched)
            if resource == "deployments":
                template = patched["spec"]["template"]
                if json.dumps(template, sort_keys=True) != before:
                    self.restarts.append(
                        (template.get("metadata", {}).get("annotations") or {}).get("codetether.run/restartedAt", "")
                    )
                self._roll(patched)
            return web.json_response(self._view(resource, patched))

        return handler

    def _delete(self, resource: str):
        async def handler(request: web.Request) -> web.Response:
            ns, name = request.match_info["ns"], request.match_info["name"]
            obj = self.objects.pop((resource, ns, name), None)
            if obj is None:
                return status_body(404, "NotFound", f'{resource} "{name}" not found')
            return web.json_response(obj)

        return handler

    async def _log(self, request: web.Request) -> web.Response:
        ns, name = request.match_info["ns"], request.match_info["name"]
        if ("pods", ns, name) not in self.objects:
            return status_body(404, "NotFound", f'pods "{name}" not found')
        lines = self.logs.get(name, "").splitlines(keepends=True)
        tail = request.query.get("tailLines")
        if tail is not None:
            lines = lines[-int(tail) :] if int(tail) else []
        return web.Response(text="".join(lines))
