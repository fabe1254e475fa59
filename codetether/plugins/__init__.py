"""Signed plugins: tool manifests signed with Ed25519, verified on every load, run in the sandbox."""
