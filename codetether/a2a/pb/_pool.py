"""The private descriptor pool behind CodeTether's generated A2A stubs.

The a2a-sdk registers the very same packages (``lf.a2a.v1`` and ``a2a.v1``) in protobuf's
default pool, and users may load it in the same process, so registering ours there too
would fail with "duplicate symbol". setup.py rewrites the generated ``*_pb2.py`` to add its
file to :data:`POOL` and to build its classes with :func:`build_messages`.

Classes built here are ordinary protobuf classes for their own descriptors: serialization,
``json_format`` and the well-known-type helpers (``Struct.update``, ``Timestamp.FromDatetime``)
work as usual. The one difference: a Struct/Value/Timestamp field holds this pool's class,
not ``struct_pb2.Struct``, so fill it in place (``.update()``, ``.FromDatetime()``,
``json_format.ParseDict``) or with this module's :data:`Struct`, :data:`Value`, ... rather
than by passing a default-pool instance (``CopyFrom`` refuses a class from another pool).
"""

from google.protobuf import descriptor_pool, empty_pb2, message, reflection, struct_pb2, timestamp_pb2
from google.protobuf.internal import enum_type_wrapper

POOL = descriptor_pool.DescriptorPool()
# The well-known types our .proto files import, under the same file names.
for _wkt in (empty_pb2, struct_pb2, timestamp_pb2):
    POOL.AddSerializedFile(_wkt.DESCRIPTOR.serialized_pb)


def build_messages(file_desc, module_name, namespace):
    """Fill a generated module's namespace with enums, services and message classes.

    Mirrors ``google.protobuf.internal.builder.BuildTopDescriptorsAndMessages`` minus its
    registration in the default symbol database, which the pure-Python backend turns into
    an insert into the default pool (and a clash with the a2a-sdk's descriptors).
    """
    for name, enum_desc in file_desc.enum_types_by_name.items():
        namespace["_" + name.upper()] = enum_desc
        namespace[name] = enum_type_wrapper.EnumTypeWrapper(enum_desc)
        for value in enum_desc.values:
            namespace[value.name] = value.number
    for name, service_desc in file_desc.services_by_name.items():
        namespace["_" + name.upper()] = service_desc
    for name, msg_desc in file_desc.message_types_by_name.items():
        namespace[name] = _message_class(msg_desc, module_name, "")


def _message_class(msg_desc, module_name, prefix):
    attrs = {
        name: _message_class(nested, module_name, f"{prefix}{msg_desc.name}.")
        for name, nested in msg_desc.nested_types_by_name.items()
    }
    attrs.update(DESCRIPTOR=msg_desc, __module__=module_name, __qualname__=prefix + msg_desc.name)
    return reflection.GeneratedProtocolMessageType(msg_desc.name, (message.Message,), attrs)


# This pool's well-known-type classes, named so that they pickle and print sensibly.
Empty, Struct, Value, ListValue, Timestamp = (
    _message_class(POOL.FindMessageTypeByName(f"google.protobuf.{name}"), __name__, "")
    for name in ("Empty", "Struct", "Value", "ListValue", "Timestamp")
)
