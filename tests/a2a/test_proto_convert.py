"""The hand-built spec 1.0 protobuf path must produce exactly what json_format would."""

import pytest

from codetether.a2a import pb
from codetether.a2a.domain.types import (
    Artifact,
    Message,
    Part,
    Role,
    SendMessageResponse,
    StreamResponse,
    Task,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)
from codetether.a2a.wire import proto_convert as pc

V1 = pb.v1()
STATUS = TaskStatus(
    state=TaskState.INPUT_REQUIRED,
    timestamp="2026-11-29T11:10:53.986876Z",
    message=Message(message_id="m2", role=Role.AGENT, parts=[Part(text="which file?")], context_id="c", task_id="t"),
)
ARTIFACT = Artifact(
    artifact_id="a1",
    name="answer",
    description="what the agent made",
    parts=[
        Part(text="x", metadata={"lang": "py"}),
        Part(raw=b"\x00\x01\xff", media_type="application/octet-stream", filename="blob.bin"),
        Part(url="https://example.com/f.txt", media_type="text/plain"),
        Part(data={"rows": [1, 2, {"deep": None}], "ok": True}),
    ],
    extensions=["https://example.com/ext"],
    metadata={"n": 3},
)
TASK = Task(
    id="t",
    context_id="c",
    status=STATUS,
    artifacts=[ARTIFACT],
    history=[
        Message(
            message_id="m1",
            role=Role.USER,
            parts=[Part(text="fix it")],
            metadata={"client": "test"},
            reference_task_ids=["t0"],
            extensions=["e"],
        )
    ],
    metadata={"priority": "high"},
)


def test_task_matches_json_format():
    assert pc.task_to_pb_v1(V1, TASK) == pc.to_pb(TASK, V1.Task)


@pytest.mark.parametrize(
    "event",
    [
        StreamResponse(task=TASK),
        StreamResponse(message=TASK.history[0]),
        StreamResponse(
            status_update=TaskStatusUpdateEvent(task_id="t", context_id="c", status=STATUS, metadata={"k": 1})
        ),
        StreamResponse(
            artifact_update=TaskArtifactUpdateEvent(
                task_id="t", context_id="c", artifact=ARTIFACT, append=True, last_chunk=True
            )
        ),
    ],
)
def test_stream_events_match_json_format(event):
    assert pc.stream_response_to_pb_v1(V1, event) == pc.to_pb(event, V1.StreamResponse)


def test_send_response_round_trips_to_the_domain():
    message = pc.send_response_to_pb_v1(V1, SendMessageResponse(task=TASK))
    assert message == pc.to_pb(SendMessageResponse(task=TASK), V1.SendMessageResponse)
    assert pc.from_pb(message, SendMessageResponse).task.artifacts[0].parts[1].raw == b"\x00\x01\xff"
