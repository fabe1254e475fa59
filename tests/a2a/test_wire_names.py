"""ProtoJSON's snake_case field names are read as their camelCase JSON names, and only where the type
says a message field is: the client's free-form JSON keeps its keys."""

import msgspec
import pytest

from codetether.a2a.domain import errors
from codetether.a2a.domain import types as t
from codetether.a2a.wire import compat_v03 as v03
from codetether.a2a.wire.wire_names import camel_keys, decode, may_have_snake_keys


def test_snake_case_fields_are_renamed_but_free_form_keys_are_not():
    data = {
        "message": {
            "message_id": "m1",
            "role": "ROLE_USER",
            "context_id": "c1",
            "parts": [{"data": {"file_name": "a.py"}, "media_type": "application/json", "metadata": {"my_key": 1}}],
            "metadata": {"trace_id": "x"},
        },
        "configuration": {"history_length": 2, "task_push_notification_config": {"url": "u", "task_id": "t1"}},
        "metadata": {"keep_me": True},
    }
    request = decode(msgspec.json.encode(data), t.SendMessageRequest)
    assert request.message.context_id == "c1" and request.message.message_id == "m1"
    part = request.message.parts[0]
    assert part.media_type == "application/json" and part.data == {"file_name": "a.py"}
    assert part.metadata == {"my_key": 1} and request.message.metadata == {"trace_id": "x"}
    assert request.configuration.history_length == 2
    assert request.configuration.task_push_notification_config.task_id == "t1"
    assert request.metadata == {"keep_me": True}


def test_spec_0_3_tagged_parts_are_renamed_by_their_kind():
    data = {
        "message": {
            "kind": "message",
            "message_id": "m1",
            "role": "user",
            "parts": [{"kind": "file", "file": {"uri": "https://example.com/a", "mime_type": "text/plain"}}],
        },
        "configuration": {"push_notification_config": {"url": "https://example.com/hook"}},
    }
    params = decode(msgspec.json.encode(data), v03.MessageSendParams)
    assert params.message.parts[0].file.mime_type == "text/plain"
    assert params.configuration.push_notification_config.url == "https://example.com/hook"


def test_a_field_in_both_spellings_is_invalid_params():
    with pytest.raises(errors.InvalidParamsError, match="contextId"):
        camel_keys({"message": {"contextId": "a", "context_id": "b"}}, t.SendMessageRequest)


def test_only_a_key_with_an_underscore_takes_the_renaming_path():
    assert may_have_snake_keys(b'{"message": {"context_id": "c"}}')
    assert may_have_snake_keys(b'{"metadata": {"trace_id" : 1}}')
    assert not may_have_snake_keys(b'{"message": {"contextId": "c"}}')
    assert not may_have_snake_keys(b'{"parts": [{"text": "see my_file.py and \\"a_b\\": 1"}]}')
