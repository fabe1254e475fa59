"""Swarm: a task split into subtasks, run by parallel sub-agents that coordinate over the bus."""
