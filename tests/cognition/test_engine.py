"""The think loop on the fake LLM server: phases, snapshots, an outage, budgets, the persona tree."""

import asyncio

import msgspec
import pytest

from codetether.cognition.engine import CognitionEngine
from codetether.cognition.errors import CognitionDisabled, PersonaNotFound, PolicyRefused
from codetether.cognition.memory import Lag
from codetether.cognition.types import (
    CreatePersonaRequest,
    EventType,
    PersonaPolicy,
    PersonaStatus,
    SpawnPersonaRequest,
    StartRequest,
)
from codetether.config.schema import CognitionSection
from tests.fakes.llm import Fault, Reply

THOUGHT_TYPES = {
    EventType.THOUGHT_GENERATED,
    EventType.HYPOTHESIS_RAISED,
    EventType.CHECK_REQUESTED,
    EventType.SNAPSHOT_COMPRESSED,
}


def persona(pid: str = "p1", **policy) -> CreatePersonaRequest:
    return CreatePersonaRequest(
        persona_id=pid,
        name="Watcher",
        role="observer",
        charter="Keep track of the build queue.",
        swarm_id="s1",
        policy=PersonaPolicy(**policy) if policy else None,
    )


def of_type(engine: CognitionEngine, *kinds: EventType) -> list:
    return [e for e in engine.ring.events() if e.event_type in kinds]


def user_turn(request) -> str:
    return request.body["messages"][-1]["content"]


async def test_phases_cycle_and_compress_writes_a_snapshot(llm, make_engine, tmp_path):
    llm.script(
        Reply(text="The queue holds three builds."),
        Reply(text="Builds may be waiting on one runner."),
        Reply(text="Check whether all builds name the same runner."),
        Reply(text="- three builds queued\n- one runner suspected"),
    )
    engine = make_engine()
    engine.create_persona(persona())
    for _ in range(4):
        await engine.tick()
    thoughts = of_type(engine, *THOUGHT_TYPES)
    assert [e.event_type for e in thoughts] == [
        EventType.THOUGHT_GENERATED,
        EventType.HYPOTHESIS_RAISED,
        EventType.CHECK_REQUESTED,
        EventType.SNAPSHOT_COMPRESSED,
    ]
    assert [e.payload["phase"] for e in thoughts] == ["observe", "reflect", "test", "compress"]
    assert thoughts[0].payload["text"] == "The queue holds three builds."
    assert thoughts[0].payload["tokens"] == 19 and thoughts[0].payload["model"] == "fake/fake-large"
    # Each turn is a real model request: the charter in the system prompt, the phase and the memory in the turn.
    assert len(llm.requests) == 4
    system = llm.requests[0].body["messages"][0]["content"]
    assert "Keep track of the build queue." in system and "Your role: observer" in system
    assert "Phase: OBSERVE" in user_turn(llm.requests[0]) and "(none yet)" in user_turn(llm.requests[0])
    assert "The queue holds three builds." in user_turn(llm.requests[1])
    assert "tools" not in llm.requests[0].body
    snapshot = engine.latest_snapshot()
    assert snapshot.summary == "- three builds queued\n- one runner suspected"
    assert snapshot.id == thoughts[3].payload["snapshot_id"]
    assert (snapshot.swarm_id, snapshot.persona_scope, snapshot.warm_fact_count) == ("s1", ["p1"], 3)
    state = engine.personas.get("p1")
    assert state.thought_count == 4 and state.tokens_this_window == 4 * 19
    # The snapshot is on disk: a new engine (a restarted server) has it.
    again = CognitionEngine(CognitionSection(), engine.thinker, snapshot_path=tmp_path / "snapshots.jsonl")
    assert again.latest_snapshot() == snapshot


async def test_an_outage_is_reported_and_backed_off_never_invented(llm, make_engine, clock):
    llm.script(Fault("status", status=503), Fault("status", status=500))
    engine = make_engine(loop_interval_ms=1000)
    engine.create_persona(persona())
    await engine.tick()
    errors = of_type(engine, EventType.ERROR)
    assert len(errors) == 1 and errors[0].payload["phase"] == "observe"
    assert "503" in errors[0].payload["error"] and errors[0].payload["consecutive_failures"] == 1
    assert engine.personas.get("p1").status == PersonaStatus.ERROR
    await engine.tick()  # still backing off (2 s): no request
    assert len(llm.requests) == 1
    clock.advance(2.5)
    await engine.tick()
    errors = of_type(engine, EventType.ERROR)
    assert len(errors) == 2 and errors[1].payload["consecutive_failures"] == 2
    clock.advance(2.5)
    await engine.tick()  # the back-off doubled to 4 s
    assert len(llm.requests) == 2
    clock.advance(2)
    llm.script(Reply(text="Back: the queue is empty."))
    await engine.tick()
    thoughts = of_type(engine, *THOUGHT_TYPES)
    # No thought during the outage; the first one after it is the model's, in the phase that had failed.
    assert [(e.payload["phase"], e.payload["text"]) for e in thoughts] == [("observe", "Back: the queue is empty.")]
    assert engine.personas.get("p1").status == PersonaStatus.ACTIVE
    assert engine.personas.get("p1").thought_count == 1


async def test_an_unreachable_model_is_an_error_event(llm, make_engine):
    await llm.stop()  # connection refused from here on
    engine = make_engine()
    engine.create_persona(persona())
    await engine.tick()
    assert len(of_type(engine, EventType.ERROR)) == 1
    assert of_type(engine, *THOUGHT_TYPES) == []


async def test_the_token_budget_pauses_until_the_minute_is_up(llm, make_engine, clock):
    llm.script(Reply(text="one"), Reply(text="two"), Reply(text="three"))
    engine = make_engine()
    engine.create_persona(persona(token_budget_per_minute=30))  # a reply costs 19 tokens
    await engine.tick()
    await engine.tick()
    assert engine.personas.get("p1").tokens_this_window == 38
    await engine.tick()
    await engine.tick()
    paused = of_type(engine, EventType.BUDGET_PAUSED)
    assert len(paused) == 1  # said once, not every tick
    assert paused[0].payload["tokens_this_window"] == 38 and paused[0].payload["token_budget_per_minute"] == 30
    assert len(llm.requests) == 2 and engine.personas.get("p1").budget_paused
    clock.advance(60)
    await engine.tick()
    assert len(llm.requests) == 3
    state = engine.personas.get("p1")
    assert not state.budget_paused and state.tokens_this_window == 19


async def test_the_compute_budget_pauses_too(llm, make_engine):
    llm.script(Fault("hang", seconds=0.05, reply=Reply(text="slow thought")))  # at least 50 ms of model time
    engine = make_engine()
    engine.create_persona(persona(compute_ms_per_minute=10))
    await engine.tick()
    assert engine.personas.get("p1").compute_ms_this_window >= 50
    await engine.tick()
    assert len(of_type(engine, EventType.BUDGET_PAUSED)) == 1 and len(llm.requests) == 1


async def test_an_idle_persona_is_reaped(llm, make_engine, clock):
    engine = make_engine()
    engine.create_persona(persona(idle_ttl_secs=10))
    clock.advance(11)
    await engine.tick()
    assert engine.personas.get("p1").status == PersonaStatus.REAPED
    assert len(of_type(engine, EventType.IDLE_REAPED)) == 1 and llm.requests == []


def test_spawn_depth_and_branching_and_reap(make_engine):
    engine = make_engine()
    engine.create_persona(persona("root", max_spawn_depth=2, max_branching_factor=2))

    def child(parent: str, pid: str):
        return engine.spawn(parent, SpawnPersonaRequest(persona_id=pid, name=pid, role="helper", charter="help"))

    assert child("root", "a").identity.depth == 1
    child("root", "b")
    with pytest.raises(PolicyRefused, match="max_branching_factor 2"):
        child("root", "c")
    assert child("a", "a1").identity.depth == 2
    with pytest.raises(PolicyRefused, match="max_spawn_depth 2"):
        child("a1", "too-deep")  # the policy is inherited
    with pytest.raises(PersonaNotFound):
        child("nobody", "z")
    with pytest.raises(PolicyRefused, match="already exists"):
        child("b", "a")
    with pytest.raises(PolicyRefused, match="has live children"):
        engine.reap("a")
    lineage = engine.lineage()
    assert lineage.roots == ["root"] and lineage.total_edges == 3
    assert {n.persona_id: n.children for n in lineage.nodes}["root"] == ["a", "b"]
    reaped = engine.reap("a", cascade=True, reason="done")
    assert reaped.reaped_ids == ["a", "a1"] and reaped.count == 2
    assert [e.payload["reason"] for e in of_type(engine, EventType.PERSONA_REAPED)] == ["done", "done"]
    assert child("root", "c").identity.depth == 1  # a reaped child frees its place
    with pytest.raises(PolicyRefused, match="was reaped"):
        child("a", "late")
    assert engine.reap("a").count == 0  # reaping twice changes nothing


def test_disabled_refuses(make_engine):
    engine = make_engine(enabled=False)
    with pytest.raises(CognitionDisabled, match="disabled"):
        engine.start()
    assert engine.status().enabled is False


async def test_a_slow_follower_is_told_what_it_missed(make_engine):
    engine = make_engine(max_events=10)
    follower = engine.ring.follow(after=0, heartbeat=0.05)
    for i in range(15):
        engine.create_persona(persona(f"p{i}"))
    first = await anext(follower)
    assert first == Lag(missed=5)
    rest = [await anext(follower) for _ in range(10)]
    assert [e.persona_id for e in rest] == [f"p{i}" for i in range(5, 15)]
    assert await anext(follower) is None  # quiet: a heartbeat
    await follower.aclose()


async def test_start_seeds_a_persona_and_the_loop_thinks(llm, runtime, configured):
    from codetether.cognition.thinker import RuntimeThinker

    llm.script(*(Reply(text=f"thought {i}") for i in range(50)))
    section = CognitionSection(model="fake/fake-large", loop_interval_ms=100)
    engine = CognitionEngine(section, RuntimeThinker(lambda: runtime, str(configured), section.model))
    follower = engine.follow(heartbeat=30)
    status = engine.start(StartRequest(loop_interval_ms=200))
    assert status.running and status.loop_interval_ms == 200 and status.persona_count == 1
    try:
        async with asyncio.timeout(30):
            async for event in follower:
                if event is not None and not isinstance(event, Lag) and event.event_type in THOUGHT_TYPES:
                    break
        assert event.persona_id == "root-thinker" and event.payload["text"].startswith("thought ")
    finally:
        status = await engine.stop("test over")
        await follower.aclose()
    assert not status.running and status.last_tick_at is not None
    assert msgspec.json.decode(msgspec.json.encode(status))["enabled"] is True


async def test_a_persona_with_tools_reads_before_it_answers(llm, make_engine, configured):
    from tests.fakes.llm import Call

    (configured / "QUEUE.md").write_text("3 builds waiting on runner-7\n")
    llm.script(
        Reply(calls=[Call("read_file", {"file_path": "QUEUE.md"})]),
        Reply(text="Three builds wait on runner-7."),
    )
    engine = make_engine()
    engine.create_persona(persona(allowed_tools=["read_file"]))
    await engine.tick()
    (thought,) = of_type(engine, *THOUGHT_TYPES)
    assert thought.payload["text"] == "Three builds wait on runner-7."
    assert [t["function"]["name"] for t in llm.requests[0].body["tools"]] == ["read_file"]
    tool_result = llm.requests[1].body["messages"][-1]
    assert tool_result["role"] == "tool" and "runner-7" in tool_result["content"]
    assert engine.personas.get("p1").tokens_this_window == 2 * 19  # both turns count against the budget


def test_tools_a_persona_cannot_have_are_refused(make_engine):
    from codetether.cognition.errors import CognitionError

    engine = make_engine()
    with pytest.raises(CognitionError, match="'task', 'rm_rf' cannot be given"):
        engine.create_persona(persona(allowed_tools=["read_file", "task", "rm_rf"]))
