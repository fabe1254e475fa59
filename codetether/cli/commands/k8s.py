"""``codetether k8s``: manifests to deploy CodeTether on Kubernetes, and the cluster as this host sees it."""

import click

from .. import output
from ..context import AppContext


@click.group()
def k8s() -> None:
    """Deploy on Kubernetes and look at the deployment."""


@k8s.command()
@click.option("--replicas", type=int, default=1, show_default=True, help="Server replicas (>1 needs --postgres).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker replicas.")
@click.option("--postgres", "postgres_url", default="", metavar="URL", help="The shared task store, postgresql://...")
@click.option("--namespace", default=None, help="Namespace (default [k8s] namespace, else default).")
@click.option("--name", default=None, help="Deployment name (default [k8s] deployment_name).")
@click.option("--image", default=None, help="Container image (default [k8s] image).")
@click.pass_context
def manifests(ctx, replicas, workers, postgres_url, namespace, name, image) -> None:
    """Print Deployment, Service, RBAC, PodDisruptionBudget and worker manifests for `kubectl apply -f -`."""
    import yaml

    from ...k8s.manifests import AUTH_SECRET, build_manifests

    section = ctx.ensure_object(AppContext).config().config.k8s
    docs = build_manifests(
        name=name or section.deployment_name,
        namespace=namespace or section.namespace or "default",
        image=image or section.image,
        replicas=replicas,
        workers=workers,
        postgres_url=postgres_url,
    )
    click.echo(yaml.safe_dump_all(docs, sort_keys=False), nl=False)
    output.notice(
        f"create the bearer token Secret once: kubectl create secret generic {AUTH_SECRET} "
        '--from-literal=token="$(openssl rand -hex 32)"'
    )


@k8s.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx, as_json: bool) -> None:
    """The Deployment's replicas and pod health, via the in-cluster account or the kubeconfig."""
    import asyncio
    import os

    import msgspec

    from ...k8s.connect import connect
    from ...k8s.manager import K8sManager
    from ...k8s.settings import K8sSettings

    settings = K8sSettings.resolve(ctx.ensure_object(AppContext).config().config.k8s, os.environ)
    manager = K8sManager(settings, connect(os.environ))

    async def read():
        state = await manager.status()
        return state, (await manager.health() if state.enabled else None)

    state, health = asyncio.run(read())
    if as_json:
        click.echo(msgspec.json.encode({"status": state, "health": health}).decode())
        return
    if not state.enabled:
        click.echo(f"kubernetes: disabled ({state.reason})")
        return
    click.echo(
        f"{state.namespace}/{state.deployment}: {state.available_replicas}/{state.replicas} available ({state.source})"
    )
    for pod in health.pods if health else []:
        mark = "ready" if pod.ready else f"not ready {pod.unready_seconds:.0f}s"
        click.echo(f"  {pod.name}  {pod.phase}  {mark}  restarts={pod.restarts}")
