"""The A2A encodings: domain types to and from what travels on each binding and spec version.

Spec 1.0 JSON-RPC and REST encode the domain types as they are; ``v03_model`` holds the one spec 0.3
mapping (states, roles, parts, push configs, the task tree) that both 0.3 encodings share;
``compat_v03`` is 0.3's JSON-RPC JSON, ``proto_convert`` the protobuf JSON of both gRPC packages,
``wire_names`` ProtoJSON's snake_case spellings. The generated protobuf stubs stay in ``a2a/pb``,
where ``setup.py`` writes them. No module here knows about the handler or a socket.
"""
