"""Shared stores for many replicas: PostgreSQL connections and the schema's versioned migrations.

The embedded default stores (SQLite) live next to their interfaces (``a2a.domain.store``,
``worker.store``); their PostgreSQL twins use this package to connect and to bring the schema up
to date.
"""
