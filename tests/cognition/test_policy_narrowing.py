"""A spawned persona's own policy may narrow its parent's, never widen it, over the real HTTP routes:
otherwise every spawn could lift the depth, branching and budget limits (and the tools) of its subtree."""

from tests.cognition.test_routes import server  # noqa: F401  (the fixture: a real aiohttp server)


async def test_a_child_cannot_widen_its_parents_policy(server):  # noqa: F811
    url, http, _engine = server
    lead = {"persona_id": "lead", "name": "Lead", "role": "planner", "charter": "plan"}
    lead["policy"] = {"max_spawn_depth": 1, "max_branching_factor": 2, "allowed_tools": ["read_file"]}
    async with http.post(f"{url}/v1/swarm/personas", json=lead) as r:
        assert r.status == 201, await r.text()
    child = {"name": "Helper", "role": "doer", "charter": "do"}
    wider = {"max_spawn_depth": 16, "max_branching_factor": 2, "allowed_tools": ["read_file", "bash"]}
    async with http.post(f"{url}/v1/swarm/personas/lead/spawn", json={**child, "policy": wider}) as r:
        body = await r.json()
        assert r.status == 409, body
        assert "max_spawn_depth 16 > 1" in body["error"] and "allowed_tools ['bash']" in body["error"]
    narrower = {"max_spawn_depth": 1, "max_branching_factor": 1, "allowed_tools": []}
    async with http.post(f"{url}/v1/swarm/personas/lead/spawn", json={**child, "policy": narrower}) as r:
        assert r.status == 201, await r.text()
        helper = (await r.json())["identity"]["id"]
    async with http.post(f"{url}/v1/swarm/personas/{helper}/spawn", json=child) as r:  # depth 2 > 1: refused
        assert r.status == 409 and "max_spawn_depth 1" in (await r.json())["error"]
