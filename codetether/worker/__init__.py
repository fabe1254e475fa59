"""Worker mode: a fleet of ``codetether worker`` processes draining one ``codetether serve``'s task queue.

``queue`` and ``store`` are the server side (transport-neutral; ``server/worker_routes.py`` adapts them
to HTTP); ``client``, ``daemon``, ``execute``, ``probe`` and ``cognition`` are the worker process.
"""
