"""The A2A domain: what the protocol is about, independent of any encoding or transport.

The task model (``types``: spec 1.0's shapes, which every binding maps to), where tasks and push
configs are kept (``store``), the one error tree with its JSON-RPC/HTTP/gRPC table (``errors``), the
executor contract an agent implements (``executor``) and the protocol versions and their negotiation
(``versions``). Nothing here imports aiohttp, grpc, protobuf or another a2a subpackage.
"""
