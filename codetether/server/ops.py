"""What `codetether serve` offers beside A2A: the k8s manager and the cognition engine.

Both are built from settings resolved once here (``[k8s]``, ``[cognition]`` and the pod's
environment), mounted as routes on the peer's app with the server's audit writer, started once the
server listens (the reconcile loop when a cluster is reachable; the think loop when
``[cognition] auto_start``) and stopped before the server closes.
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from ..cognition.engine import CognitionEngine
from ..cognition.thinker import RuntimeThinker
from ..config import LoadedConfig
from ..k8s.connect import connect
from ..k8s.manager import K8sManager
from ..k8s.settings import K8sSettings
from ..paths import data_dir
from . import cognition_routes, k8s_routes
from .app import AUDIT_WRITER_KEY

if TYPE_CHECKING:
    from ..runtime import Runtime


class OpsServices:
    def __init__(self, k8s: K8sManager, cognition: CognitionEngine) -> None:
        self.k8s = k8s
        self.cognition = cognition

    @classmethod
    def build(
        cls, loaded: LoadedConfig, runtime: "Callable[[], Runtime]", workspace: Path, environ: Mapping[str, str]
    ) -> "OpsServices":
        config = loaded.config
        manager = K8sManager(K8sSettings.resolve(config.k8s, environ), connect(environ))
        thinker = RuntimeThinker(runtime, str(workspace), config.cognition.model or None)
        engine = CognitionEngine(config.cognition, thinker, snapshot_path=data_dir() / "cognition" / "snapshots.jsonl")
        return cls(manager, engine)

    def mount(self, app: web.Application) -> None:
        writer = app[AUDIT_WRITER_KEY]
        self.k8s.audit = writer
        self.cognition.audit = writer
        k8s_routes.add_routes(app, self.k8s)
        cognition_routes.add_routes(app, self.cognition)

    def start(self) -> None:
        self.k8s.start_loop()
        if self.cognition.settings.enabled and self.cognition.settings.auto_start:
            self.cognition.start()

    async def stop(self) -> None:
        await self.cognition.stop("server stopping")
        await self.k8s.stop_loop()
