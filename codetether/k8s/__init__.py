"""Kubernetes self-management: status, scale, health, a reconcile loop and sub-agent pods.

Everything here talks to the API server through the official ``kubernetes`` client, imported only
when a manager is built (``codetether --help`` must not pay for it).
"""
