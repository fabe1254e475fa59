"""The A2A client: find a peer from its agent card and talk to it, spec 1.0 or 0.3.

``client`` picks an endpoint and runs operations; ``jsonrpc`` and ``grpc`` speak the two bindings;
``card`` fetches and reads agent cards; ``decode`` turns a peer's replies into domain types;
``errors`` holds what the client raises; ``folding`` turns a stream of events into the task (or
message) they describe, for callers that render it.
"""
