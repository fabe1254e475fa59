"""Follower: how views watch topics. A view that fails on one event still gets the rest."""

from codetether.bus import AgentBus, Follower
from codetether.events import Finished, TextDelta
from codetether.providers.types import Usage


async def test_a_failing_view_still_gets_every_later_event_and_the_subscription_is_closed():
    bus = AgentBus(capacity=64)
    seen = []

    def view(envelope):
        seen.append(type(envelope.message).__name__)
        if len(seen) == 1:
            raise RuntimeError("a renderer bug")

    async with Follower(bus, "agent.x", view):
        bus.publish("agent.x", TextDelta(text="hi"), sender="t")
        bus.publish("agent.x", Finished(status="submitted", text="hi", steps=1, usage=Usage()), sender="t")
    assert seen == ["TextDelta", "Finished"]
    assert bus.ring.subscribers() == 0
