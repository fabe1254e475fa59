"""The A2A server side, transport-neutral: what ``codetether serve``'s bindings call into.

The request handler (``handler``: one method per A2A operation, given a call context), the event
streams it hands to transports (``streams``), push notification delivery (``push``), the agent card
(``card``), spec 0.3's operations in protobuf JSON shared by REST and gRPC (``v03_ops``) and the
default executor that runs the agent loop (``agent_executor``). The HTTP and gRPC adapters
themselves live in ``codetether/server``.
"""
