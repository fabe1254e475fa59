"""The client's stream fold: a stream of events becomes the task it describes (or a message-only reply)."""

from codetether.a2a.client.folding import StreamFold
from codetether.a2a.domain.types import (
    Artifact,
    Message,
    Part,
    Role,
    StreamResponse,
    Task,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)


def _status(state: TaskState) -> StreamResponse:
    return StreamResponse(
        status_update=TaskStatusUpdateEvent(task_id="t1", context_id="c1", status=TaskStatus(state=state))
    )


def _chunk(text: str, *, artifact_id: str = "a1", append: bool = False) -> StreamResponse:
    artifact = Artifact(artifact_id=artifact_id, parts=[Part(text=text)])
    return StreamResponse(
        artifact_update=TaskArtifactUpdateEvent(task_id="t1", context_id="c1", artifact=artifact, append=append)
    )


def test_updates_fold_into_the_task_with_appended_artifact_chunks():
    fold = StreamFold()
    first = Task(id="t1", context_id="c1", status=TaskStatus(state=TaskState.SUBMITTED))
    for event in (
        StreamResponse(task=first),
        _status(TaskState.WORKING),
        _chunk("hel"),
        _chunk("lo", append=True),
        _chunk("other", artifact_id="a2"),
        _status(TaskState.COMPLETED),
    ):
        fold.add(event)
    assert (fold.task.id, fold.task.context_id, fold.task.status.state) == ("t1", "c1", TaskState.COMPLETED)
    assert [[part.text for part in a.parts] for a in fold.task.artifacts] == [["hel", "lo"], ["other"]]
    assert fold.answered and fold.reply is None
    assert first.artifacts == []  # the stream's own task object is not changed under the caller


def test_a_message_only_reply_is_kept_and_no_task_appears():
    fold = StreamFold()
    reply = Message(message_id="m1", role=Role.AGENT, parts=[Part(text="hi")])
    fold.add(StreamResponse(message=reply))
    assert fold.reply == reply
    assert fold.task.id == "" and not fold.answered


def test_a_status_only_stream_has_no_answer():
    fold = StreamFold()
    fold.add(_status(TaskState.INPUT_REQUIRED))
    assert fold.task.id == "t1" and fold.task.status.state is TaskState.INPUT_REQUIRED
    assert not fold.answered
