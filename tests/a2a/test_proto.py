"""Our A2A protos are wire-identical to the a2a-sdk's, and live beside them in one process.

The SDK registers the same protobuf packages in the default descriptor pool; ours sit in a
private pool (codetether/a2a/pb/_pool.py). Importing both here is itself the coexistence
check; the subprocess test repeats it under the pure-Python protobuf backend.
"""

import datetime
import subprocess
import sys

import pytest
from a2a.compat.v0_3 import a2a_v0_3_pb2 as sdk_v0_3
from a2a.types import a2a_pb2 as sdk_v1
from google.protobuf import descriptor_pb2, descriptor_pool, json_format

from codetether.a2a import pb
from codetether.a2a.pb import _pool

OURS = {"v1": pb.v1(), "v0_3": pb.v0_3()}
SDK = {"v1": sdk_v1, "v0_3": sdk_v0_3}
VERSIONS = sorted(OURS)


def _messages(file_desc):
    def walk(desc):
        yield desc
        for nested in desc.nested_types:
            yield from walk(nested)

    for desc in file_desc.message_types_by_name.values():
        yield from walk(desc)


def _enums(file_desc):
    yield from file_desc.enum_types_by_name.values()
    for msg in _messages(file_desc):
        yield from msg.enum_types


def _field(field):
    return {
        "number": field.number,
        "type": field.type,
        "repeated": field.is_repeated,
        "presence": field.has_presence,
        "json_name": field.json_name,
        "oneof": field.containing_oneof.name if field.containing_oneof else None,
        "message_type": field.message_type.full_name if field.message_type else None,
        "map_entry": bool(field.message_type and field.message_type.GetOptions().map_entry),
        "enum_type": field.enum_type.full_name if field.enum_type else None,
    }


def _shape(file_desc):
    """Everything about a file that decides the wire and JSON formats, as plain data."""
    return {
        "package": file_desc.package,
        "dependencies": sorted(d.name for d in file_desc.dependencies if not d.name.startswith("google/api/")),
        "messages": {
            msg.full_name: {
                "fields": {f.name: _field(f) for f in msg.fields},
                "oneofs": {o.name: sorted(f.name for f in o.fields) for o in msg.oneofs},
            }
            for msg in _messages(file_desc)
        },
        "enums": {enum.full_name: {v.name: v.number for v in enum.values} for enum in _enums(file_desc)},
        "services": {
            service.full_name: {
                m.name: (m.input_type.full_name, m.output_type.full_name, m.client_streaming, m.server_streaming)
                for m in service.methods
            }
            for service in file_desc.services_by_name.values()
        },
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_descriptors_match_the_sdk(version):
    ours, sdk = _shape(OURS[version].DESCRIPTOR), _shape(SDK[version].DESCRIPTOR)
    assert ours["messages"].keys() == sdk["messages"].keys()
    for name in ours["messages"]:
        assert ours["messages"][name] == sdk["messages"][name], name
    assert ours == sdk
    assert len(ours["services"][f"{ours['package']}.A2AService"]) >= 10


@pytest.mark.parametrize("version", VERSIONS)
def test_file_descriptor_protos_match_the_sdk(version):
    """The same check on the compiled FileDescriptorProto (labels, proto3 optional, order)."""

    def normalized(file_desc):
        proto = descriptor_pb2.FileDescriptorProto()
        file_desc.CopyToProto(proto)
        proto.ClearField("name")
        proto.ClearField("options")  # language options only
        deps = [d for d in proto.dependency if not d.startswith("google/api/")]
        del proto.dependency[:]
        proto.dependency.extend(deps)
        for msg in proto.message_type:
            fill(msg, file_desc.message_types_by_name[msg.name])
        for service in proto.service:
            for method in service.method:
                method.ClearField("options")  # google.api.http / method_signature
        return proto

    def fill(msg, desc):
        for field in msg.field:
            field.ClearField("options")  # google.api.field_behavior lives here
            # Older protoc embeds every json_name, newer only explicit ones: compare the effective one.
            field.json_name = desc.fields_by_name[field.name].json_name
        for nested in msg.nested_type:
            fill(nested, desc.nested_types_by_name[nested.name])

    ours, sdk = normalized(OURS[version].DESCRIPTOR), normalized(SDK[version].DESCRIPTOR)
    for mine, theirs in zip(ours.message_type, sdk.message_type, strict=True):
        assert mine == theirs, mine.name
    assert ours == sdk


@pytest.mark.parametrize("version", VERSIONS)
def test_stubs_live_in_the_private_pool(version):
    module = OURS[version]
    assert module.DESCRIPTOR.pool is _pool.POOL
    assert module.Task.DESCRIPTOR is not SDK[version].Task.DESCRIPTOR
    assert module.Task.__module__ == f"codetether.a2a.pb.{version}_pb2"
    with pytest.raises(KeyError):
        descriptor_pool.Default().FindFileByName(module.DESCRIPTOR.name)
    # Well-known-type fields hold this pool's classes, with their helpers.
    assert type(module.Task().metadata) is _pool.Struct
    assert type(module.TaskStatus().timestamp) is _pool.Timestamp


V1_SAMPLES = {
    "Task": {
        "id": "task-1",
        "contextId": "ctx-1",
        "status": {
            "state": "TASK_STATE_INPUT_REQUIRED",
            "message": {"messageId": "m-2", "role": "ROLE_AGENT", "parts": [{"text": "which file?"}]},
            "timestamp": "2025-03-04T05:06:07.089Z",
        },
        "artifacts": [
            {
                "artifactId": "a-1",
                "name": "patch",
                "parts": [
                    {"raw": "AAEC/w==", "filename": "x.bin", "mediaType": "application/octet-stream"},
                    {"url": "https://example.com/f.txt", "metadata": {"size": 3}},
                    {"data": {"list": [1, "two", None, True], "nested": {"k": "v"}}},
                ],
                "extensions": ["https://ext.example/a"],
            }
        ],
        "history": [
            {
                "messageId": "m-1",
                "contextId": "ctx-1",
                "taskId": "task-1",
                "role": "ROLE_USER",
                "parts": [{"text": "fix the bug"}],
                "referenceTaskIds": ["task-0"],
            }
        ],
        "metadata": {"priority": 2, "labels": ["a", "b"]},
    },
    "Message": {
        "messageId": "m-9",
        "role": "ROLE_USER",
        "parts": [{"text": "hello"}, {"data": 42}],
        "metadata": {"trace": "abc"},
        "extensions": ["https://ext.example/b"],
    },
    "StreamResponse": {
        "artifactUpdate": {
            "taskId": "task-1",
            "contextId": "ctx-1",
            "artifact": {"artifactId": "a-2", "parts": [{"text": "chunk"}]},
            "append": True,
            "lastChunk": True,
        }
    },
    "AgentCard": {
        "name": "codetether",
        "description": "coding agent",
        "supportedInterfaces": [{"url": "http://127.0.0.1/a2a", "protocolBinding": "GRPC", "protocolVersion": "1.0"}],
        "version": "1.0.0",
        "capabilities": {"streaming": True, "pushNotifications": False},
        "securitySchemes": {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}},
        "securityRequirements": [{"schemes": {"bearer": {"list": ["read"]}}}],
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [{"id": "code", "name": "code", "description": "writes code", "tags": ["dev"]}],
    },
    "SendMessageRequest": {
        "message": {"messageId": "m-3", "role": "ROLE_USER", "parts": [{"text": "go"}]},
        "configuration": {"historyLength": 0, "returnImmediately": True},
    },
}

V0_3_SAMPLES = {
    "Task": {
        "id": "task-1",
        "contextId": "ctx-1",
        "status": {
            "state": "TASK_STATE_CANCELLED",
            "message": {"messageId": "m-2", "role": "ROLE_AGENT", "content": [{"text": "stopped"}]},
            "timestamp": "2025-03-04T05:06:07Z",
        },
        "artifacts": [
            {
                "artifactId": "a-1",
                "parts": [
                    {"file": {"fileWithBytes": "AAEC", "mimeType": "image/png", "name": "x.png"}},
                    {"data": {"data": {"k": [1, 2]}}, "metadata": {"m": True}},
                ],
            }
        ],
        "metadata": {"priority": 2},
    },
    "Message": {"messageId": "m-9", "role": "ROLE_USER", "content": [{"file": {"fileWithUri": "https://x/y"}}]},
    "StreamResponse": {"message": {"messageId": "m-1", "role": "ROLE_AGENT", "content": [{"text": "hi"}]}},
    "AgentCard": {
        "protocolVersion": "0.3.0",
        "name": "codetether",
        "url": "http://127.0.0.1/a2a",
        "preferredTransport": "JSONRPC",
        "additionalInterfaces": [{"url": "127.0.0.1:50051", "transport": "GRPC"}],
        "securitySchemes": {"key": {"apiKeySecurityScheme": {"location": "header", "name": "X"}}},
        "security": [{"schemes": {"key": {"list": []}}}],
        "iconUrl": "http://127.0.0.1/icon.png",
    },
    "SendMessageRequest": {
        "message": {"messageId": "m-3", "role": "ROLE_USER", "content": [{"text": "go"}]},
        "configuration": {"historyLength": 5, "blocking": True},
    },
}

SAMPLES = [("v1", name, sample) for name, sample in V1_SAMPLES.items()] + [
    ("v0_3", name, sample) for name, sample in V0_3_SAMPLES.items()
]


@pytest.mark.parametrize(("version", "name", "sample"), SAMPLES, ids=[f"{v}-{n}" for v, n, _ in SAMPLES])
def test_bytes_round_trip_with_the_sdk(version, name, sample):
    ours_cls, sdk_cls = getattr(OURS[version], name), getattr(SDK[version], name)
    ours = json_format.ParseDict(sample, ours_cls())
    sdk = json_format.ParseDict(sample, sdk_cls())
    assert ours.SerializeToString(deterministic=True) == sdk.SerializeToString(deterministic=True)

    from_ours = sdk_cls.FromString(ours.SerializeToString())  # ours -> SDK
    assert from_ours == sdk
    assert json_format.MessageToDict(from_ours) == json_format.MessageToDict(ours)

    from_sdk = ours_cls.FromString(sdk.SerializeToString())  # SDK -> ours
    assert from_sdk == ours
    assert from_sdk.SerializeToString(deterministic=True) == sdk.SerializeToString(deterministic=True)


def test_task_built_by_hand_round_trips_through_the_sdk():
    v1 = OURS["v1"]
    task = v1.Task(id="t", context_id="c")
    task.status.state = v1.TASK_STATE_WORKING
    task.status.timestamp.FromDatetime(datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))
    msg = task.history.add(message_id="m", role=v1.ROLE_USER)
    msg.parts.add(text="hi")
    msg.parts.add().data.struct_value.update({"k": "v"})
    task.metadata.update({"n": 1, "s": "x"})

    sdk = sdk_v1.Task.FromString(task.SerializeToString())
    assert sdk.status.state == sdk_v1.TASK_STATE_WORKING
    assert sdk.status.timestamp.ToJsonString() == "2025-01-02T03:04:05Z"
    assert sdk.history[0].parts[0].text == "hi"
    assert sdk.history[0].parts[1].data.struct_value["k"] == "v"
    assert dict(sdk.metadata) == {"n": 1.0, "s": "x"}

    stream = sdk_v1.StreamResponse(task=sdk)
    back = v1.StreamResponse.FromString(stream.SerializeToString())
    assert back.WhichOneof("payload") == "task"
    assert back.task == task


def test_task_json_round_trip_with_struct_and_timestamp():
    v1 = OURS["v1"]
    task = v1.Task(id="t-1", context_id="ctx")
    task.status.state = v1.TASK_STATE_COMPLETED
    task.status.timestamp.FromDatetime(datetime.datetime(2025, 6, 7, 8, 9, 10, 500000, tzinfo=datetime.UTC))
    task.metadata.update({"owner": "me", "tags": ["x", "y"], "limits": {"steps": 10}, "none": None})

    as_dict = json_format.MessageToDict(task)
    assert as_dict == {
        "id": "t-1",
        "contextId": "ctx",
        "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2025-06-07T08:09:10.500Z"},
        "metadata": {"owner": "me", "tags": ["x", "y"], "limits": {"steps": 10.0}, "none": None},
    }
    assert json_format.ParseDict(as_dict, v1.Task()) == task
    assert json_format.Parse(json_format.MessageToJson(task), v1.Task()) == task
    assert task.status.timestamp.ToDatetime(tzinfo=datetime.UTC).microsecond == 500000
    # The SDK reads the same JSON into the same bytes.
    assert json_format.ParseDict(as_dict, sdk_v1.Task()).SerializeToString(deterministic=True) == (
        task.SerializeToString(deterministic=True)
    )


def test_v0_3_json_names_follow_the_spec():
    v0_3 = OURS["v0_3"]
    response = v0_3.SendMessageResponse(msg=v0_3.Message(message_id="m"))
    assert json_format.MessageToDict(response) == {"message": {"messageId": "m"}}
    status = v0_3.TaskStatus(update=v0_3.Message(message_id="m"))
    assert json_format.MessageToDict(status) == {"message": {"messageId": "m"}}


def test_missing_stubs_say_how_to_fix_it():
    with pytest.raises(pb.StubsMissingError, match=r"not generated.*pip install -e \.") as info:
        pb._load("missing_pb2")
    assert isinstance(info.value, ImportError)


COEXIST = """
import sys
from google.protobuf.internal import api_implementation
assert api_implementation.Type() == "python", api_implementation.Type()
if sys.argv[1] == "sdk-first":
    from a2a.types import a2a_pb2
    from a2a.compat.v0_3 import a2a_v0_3_pb2
from codetether.a2a import pb
v1, v0_3 = pb.v1(), pb.v0_3()
from a2a.types import a2a_pb2
from a2a.compat.v0_3 import a2a_v0_3_pb2
task = v1.Task(id="t")
task.metadata.update({"k": "v"})
assert a2a_pb2.Task.FromString(task.SerializeToString()).metadata["k"] == "v"
assert a2a_v0_3_pb2.Task.FromString(v0_3.Task(id="t").SerializeToString()).id == "t"
"""


@pytest.mark.parametrize("order", ["sdk-first", "ours-first"])
def test_coexists_with_the_sdk_under_the_pure_python_backend(order, monkeypatch):
    """The pure-Python backend inserts into the default pool on class creation; ours must not."""
    monkeypatch.setenv("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
    subprocess.run([sys.executable, "-c", COEXIST, order], check=True)


def test_package_import_loads_no_stubs():
    code = "import sys, codetether.a2a.pb; assert not [m for m in sys.modules if m.endswith('_pb2')], sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
