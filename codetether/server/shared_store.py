"""``[store] url = "postgresql://..."``: the task store, worker queue and replica hub every replica shares.

Several ``codetether serve`` processes (on one machine or behind one load balancer) then serve the
same tasks: each runs what it was sent, any of them answers for any task, and a task whose replica
died is failed by a survivor (see ``a2a.server.replicas_pg``).
"""

from dataclasses import dataclass

from ..a2a.domain.store_pg import PostgresTaskStore
from ..a2a.server.replicas_pg import PgReplicaHub
from ..config.schema import StoreSection, WorkerSection
from ..errors import UsageError
from ..store.postgres import is_postgres_url
from ..worker.queue import QueueSettings, WorkQueue
from ..worker.store_pg import PostgresQueueStore


@dataclass
class SharedStore:
    tasks: PostgresTaskStore
    replicas: PgReplicaHub
    queue: WorkQueue


def open_shared(section: StoreSection, worker: WorkerSection) -> SharedStore:
    if not is_postgres_url(section.url):
        raise UsageError(
            "[store] url must be a postgresql:// URL", "e.g. postgresql://codetether:PW@db:5432/codetether"
        )
    tasks = PostgresTaskStore(section.url)
    replicas = PgReplicaHub(
        section.url, heartbeat_seconds=section.replica_timeout / 5, dead_after=section.replica_timeout
    )
    queue = WorkQueue(
        PostgresQueueStore(section.url),
        QueueSettings(
            lease_seconds=worker.lease_seconds,
            heartbeat_seconds=worker.heartbeat_seconds,
            replay_events=worker.replay_events,
            forget_after=worker.forget_after_seconds,
        ),
    )
    from ..worker.relay_pg import PgQueuePeers

    PgQueuePeers(section.url, replicas, queue)  # workers may use any replica (it attaches itself)
    return SharedStore(tasks, replicas, queue)
