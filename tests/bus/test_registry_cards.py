"""The registry follows every agent's ready message, whatever card (or none) the agent announced."""

import logging

from codetether.bus import AgentBus, AgentRegistry, BusHandle, ephemeral_card
from codetether.bus.messages import AgentReady


def test_ready_without_a_card_registers_the_agent_under_its_own_id():
    bus = AgentBus()
    registry = AgentRegistry(bus)
    BusHandle(bus, "helper.1").ready()
    card = registry.agents()["helper_1"]
    assert (card.name, card.url, card.skills) == ("helper_1", "bus://local/helper_1", [])


def test_ready_takes_a_card_object_as_well_as_its_builtins():
    bus = AgentBus()
    registry = AgentRegistry(bus)
    BusHandle(bus, "reviewer").ready(ephemeral_card("reviewer", "reviews diffs", ["review"]))
    assert registry.agents()["reviewer"].skills == ["review"]


def test_a_partial_card_gets_the_agents_id_for_name_and_url():
    bus = AgentBus()
    registry = AgentRegistry(bus)
    BusHandle(bus, "planner").ready({"description": "plans", "skills": ["plan"]})
    card = registry.agents()["planner"]
    assert (card.name, card.url, card.description, card.skills) == ("planner", "bus://local/planner", "plans", ["plan"])


def test_a_malformed_card_is_skipped_and_named_without_breaking_the_registry(caplog):
    bus = AgentBus()
    registry = AgentRegistry(bus)
    broken = BusHandle(bus, "broken")
    broken.event(AgentReady(agent_id="broken", card={"skills": "not a list"}))
    BusHandle(bus, "fine").ready()
    with caplog.at_level(logging.WARNING, logger="codetether.bus.registry"):
        agents = registry.agents()
    assert list(agents) == ["fine"]
    assert any("broken" in record.getMessage() for record in caplog.records)
