"""The asyncio bus over the ring: waiting, routing, request/reply, shared results, registry."""

import asyncio

import pytest

from codetether.bus import AgentBus, AgentRegistry, BusHandle, ephemeral_card
from codetether.bus.messages import AgentMessage, Heartbeat, SwarmEvent


async def test_subscribers_wake_on_publish_and_route_by_pattern():
    bus = AgentBus(64)
    swarm = bus.subscribe("swarm.#")
    tasks = bus.subscribe("task.*")

    async def later():
        await asyncio.sleep(0.01)
        bus.publish("swarm.s1.stage", SwarmEvent(swarm_id="s1", kind="stage"), sender="orchestrator")
        bus.publish("task.7", AgentMessage(text="t"), sender="x")

    asyncio.get_running_loop().create_task(later())
    batch = await swarm.next_batch(timeout=2)
    assert [e.topic for e in batch] == ["swarm.s1.stage"]
    assert [e.message.text for e in await tasks.next_batch(timeout=2)] == ["t"]
    assert await tasks.next_batch(timeout=0.01) == []


async def test_request_reply_keeps_other_messages():
    bus = AgentBus()
    alice, bob = BusHandle(bus, "alice"), BusHandle(bus, "bob")

    async def bob_answers():
        question = await bob.receive(timeout=2)
        bob.send("alice", AgentMessage(text="unrelated"))
        bob.reply(question, AgentMessage(text=f"re: {question.message.text}"))

    task = asyncio.get_running_loop().create_task(bob_answers())
    answer = await alice.request("bob", AgentMessage(text="ping"), timeout=2)
    await task
    assert answer.message.text == "re: ping" and answer.sender == "bob"
    other = await alice.receive(timeout=1)
    assert other.message.text == "unrelated"
    with pytest.raises(TimeoutError, match="no reply from nobody"):
        await alice.request("nobody", AgentMessage(text="?"), timeout=0.05)


async def test_shared_results_wait_and_read():
    bus = AgentBus()
    writer, reader = BusHandle(bus, "w"), BusHandle(bus, "r")
    waiting = asyncio.get_running_loop().create_task(reader.wait_result("schema", timeout=2))
    await asyncio.sleep(0.01)
    writer.share_result("schema", {"tables": ["users"]})
    assert await waiting == {"tables": ["users"]}
    assert reader.shared_result("schema") == {"tables": ["users"]}
    with pytest.raises(TimeoutError):
        await reader.wait_result("missing", timeout=0.02)


async def test_slow_subscriber_is_told_it_missed_messages():
    bus = AgentBus(capacity=8)
    slow = bus.subscribe("broadcast")
    for i in range(20):
        bus.publish("broadcast", AgentMessage(text=str(i)), sender="p")
    got = slow.poll()
    assert [e.message.text for e in got] == [str(i) for i in range(12, 20)] and slow.missed == 12


async def test_registry_follows_ready_and_shutdown():
    bus = AgentBus()
    registry = AgentRegistry(bus)
    card = ephemeral_card("reviewer.1", "reviews diffs", ["review"])
    assert card.url == "bus://local/reviewer_1"
    handle = BusHandle(bus, "reviewer.1")
    import msgspec

    handle.ready(msgspec.to_builtins(card))
    handle.event(Heartbeat(agent_id=handle.agent_id))
    assert registry.agents()["reviewer_1"].skills == ["review"]
    handle.shutdown("done")
    assert registry.agents() == {}


def test_ids_are_made_topic_safe():
    from codetether.bus import segment

    assert segment("a.b*c#d e") == "a_b_c_d_e"
