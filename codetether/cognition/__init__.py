"""Cognition: personas that think on the configured model (observe → reflect → test → compress).

Each persona's thought is a real model turn built by the runtime; a failed turn is reported as an
error event and retried after a back-off, never replaced by invented text. See ``engine``.
"""
