"""Agent-to-Agent (A2A) protocol: request handling, tasks, client and worker (spec 1.0 and 0.3)."""
