"""The A2A behaviour suite (tests/a2a/test_transports.py, every transport) across two replicas.

Two peers in this process share one real PostgreSQL (``PostgresTaskStore`` + ``PgReplicaHub``
each, as two ``serve`` processes with ``[store] url`` would). Every message is sent to replica A,
which runs it; every other call (GetTask, ListTasks, CancelTask, SubscribeToTask, push configs)
goes to replica B. The suite's own assertions must hold unchanged.
"""

import secrets
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from codetether.a2a.domain.store_pg import PostgresTaskStore
from codetether.a2a.server.replicas_pg import PgReplicaHub
from codetether.config.schema import A2ASection
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from tests.a2a.drivers import TOKEN, TRANSPORTS, Driver, make_driver
from tests.a2a.executors import ScriptedExecutor
from tests.a2a.test_transports import *  # noqa: F403 - the behaviour tests, run here against two replicas
from tests.a2a.test_transports import Server

pytestmark = pytest.mark.asyncio(loop_scope="module")
SENDS = {"send", "send_result", "stream", "stream_iter", "send_snake"}


class SplitDriver(Driver):
    """Messages go to replica A (it runs them); every other operation to replica B."""

    def __init__(self, on_a: Driver, on_b: Driver) -> None:
        self.on_a, self.on_b = on_a, on_b
        self.name, self.version = on_a.name, on_a.version

    def __getattribute__(self, name: str) -> Any:
        if name in SENDS:
            return getattr(object.__getattribute__(self, "on_a"), name)
        if name in ("on_a", "on_b", "name", "version", "close", "__class__", "__dict__"):
            return object.__getattribute__(self, name)
        return getattr(object.__getattribute__(self, "on_b"), name)

    async def close(self) -> None:
        await self.on_a.close()
        await self.on_b.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(tmp_path_factory, postgres_server):
    tmp = tmp_path_factory.mktemp("replicas")
    name = f"t_{secrets.token_hex(6)}"
    url = postgres_server.create_database(name)
    executor = ScriptedExecutor()
    settings = A2ASection(port=0, grpc_port=0, allow_private_push_urls=True)
    peers = []
    for replica in ("a", "b"):
        peers.append(
            await Peer.start(
                settings,
                executor,
                TokenAuth(TOKEN),
                store=PostgresTaskStore(url),
                audit=AuditLog(tmp / replica / "audit"),
                replicas=PgReplicaHub(url),
            )
        )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield Server(peers[0], executor, session), peers[1]
    for peer in peers:
        await peer.stop()
    postgres_server.drop_database(name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(pair):
    return pair[0]  # replica A: it runs every task, so the suite's executor checks look at it


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=TRANSPORTS)
async def driver(request, pair):
    (a, session), b = (pair[0].peer, pair[0].session), pair[1]
    on_a = make_driver(request.param, a.addresses.http_url, a.addresses.grpc_address, session)
    on_b = make_driver(request.param, b.addresses.http_url, b.addresses.grpc_address, session)
    driver = SplitDriver(on_a, on_b)
    yield driver
    await driver.close()


async def test_the_split_is_real(driver: SplitDriver, pair):
    assert driver.send.__self__ is driver.on_a and driver.get.__self__ is driver.on_b
    assert driver.subscribe.__self__ is driver.on_b and driver.cancel.__self__ is driver.on_b
    task = await driver.send("where am I", blocking=False)
    assert (await driver.get(task.id)).id == task.id  # read on B
    assert pair[1].handler._runs == {}  # B ran nothing: every task of the suite ran on A
