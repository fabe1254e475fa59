"""Agent-to-Agent (A2A) protocol: request handling, tasks, client and worker (spec 1.0 and 0.3).

Names are re-exported lazily (PEP 562): importing the package, or one light module of it, does not
load aiohttp, grpc or the generated protobuf stubs.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "A2AClient": ".client",
    "A2AError": ".errors",
    "AgentCard": ".types",
    "EchoExecutor": ".executor",
    "Executor": ".executor",
    "Message": ".types",
    "Part": ".types",
    "RequestContext": ".executor",
    "RequestHandler": ".handler",
    "SQLiteTaskStore": ".store",
    "StreamResponse": ".types",
    "Task": ".types",
    "TaskState": ".types",
    "TaskStore": ".store",
    "TaskUpdater": ".executor",
}

__all__ = [
    "A2AClient",
    "A2AError",
    "AgentCard",
    "EchoExecutor",
    "Executor",
    "Message",
    "Part",
    "RequestContext",
    "RequestHandler",
    "SQLiteTaskStore",
    "StreamResponse",
    "Task",
    "TaskState",
    "TaskStore",
    "TaskUpdater",
]

if TYPE_CHECKING:
    from .client import A2AClient
    from .errors import A2AError
    from .executor import EchoExecutor, Executor, RequestContext, TaskUpdater
    from .handler import RequestHandler
    from .store import SQLiteTaskStore, TaskStore
    from .types import AgentCard, Message, Part, StreamResponse, Task, TaskState

__getattr__ = lazy_exports(__name__, _EXPORTS)
