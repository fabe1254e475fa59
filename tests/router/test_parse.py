"""The zero-cost path: calls written out in a reply are found, checked against the schema, or left alone."""

import json

import jsonschema

from codetether.router.parse import MAX_SCAN_CHARS, parse_text_calls


def args(call) -> dict:
    return json.loads(call.arguments)


def valid(call, specs) -> bool:
    spec = next(s for s in specs if s.name == call.name)
    return jsonschema.Draft202012Validator(spec.parameters).is_valid(args(call))


def test_tagged_blocks_in_order(specs):
    text = (
        "I'll look first.\n"
        '<tool_call>{"name": "read_file", "arguments": {"file_path": "greet.py"}}</tool_call>\n'
        '<tool_call>\n{"name": "grep", "arguments": {"pattern": "def greet"}}\n</tool_call>'
    )
    calls = parse_text_calls(text, specs)
    assert [c.name for c in calls] == ["read_file", "grep"]
    assert args(calls[0]) == {"file_path": "greet.py"} and all(valid(c, specs) for c in calls)
    assert len({c.id for c in calls}) == 2


def test_fenced_json_and_openai_shapes(specs):
    fenced = 'Running it:\n```json\n{"name": "bash", "parameters": {"command": "ls -la"}}\n```'
    assert [(c.name, args(c)) for c in parse_text_calls(fenced, specs)] == [("bash", {"command": "ls -la"})]
    openai = '```\n[{"function": {"name": "glob", "arguments": "{\\"pattern\\": \\"**/*.py\\"}"}}]\n```'
    assert [(c.name, args(c)) for c in parse_text_calls(openai, specs)] == [("glob", {"pattern": "**/*.py"})]


def test_call_forms(specs):
    text = 'Next step:\n`read_file(file_path="greet.py", limit=20)`'
    assert [(c.name, args(c)) for c in parse_text_calls(text, specs)] == [
        ("read_file", {"file_path": "greet.py", "limit": 20})
    ]
    positional = parse_text_calls('grep("TODO")', specs)
    assert [(c.name, args(c)) for c in positional] == [("grep", {"pattern": "TODO"})]
    as_json = parse_text_calls('list_dir({"path": "src"})', specs)
    assert [(c.name, args(c)) for c in as_json] == [("list_dir", {"path": "src"})]


def test_what_does_not_fit_stays_prose(specs):
    cases = [
        "The greet function returns a greeting; nothing to call.",
        '<tool_call>{"name": "rm_rf", "arguments": {"path": "/"}}</tool_call>',  # not an offered tool
        '<tool_call>{"name": "read_file", "arguments": {"path": "x"}}</tool_call>',  # wrong argument name
        '<tool_call>{"name": "read_file", "arguments": {"file_path": "x", "limit": -5}}</tool_call>',  # minimum
        '<tool_call>{"name": "read_file", "arguments": {"file_path": "x"</tool_call>',  # cut off
        'An example of the config:\n```json\n{"name": "demo", "version": 2}\n```',
        "print(greet('world'))",  # a Python line, not a tool
        "bash(command=__import__('os').system('id'))",  # never evaluated: only literals are accepted
        "read_file(" + "(" * 500 + ")" * 500 + ")",  # nested too deep to parse: refused, no crash
        "grep('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i')",  # more positional values than parameters
    ]
    for text in cases:
        assert parse_text_calls(text, specs) == [], text


def test_limits(specs):
    block = '<tool_call>{"name": "list_dir", "arguments": {}}</tool_call>'
    assert parse_text_calls(block, []) == []  # no tools offered
    assert parse_text_calls("x" * MAX_SCAN_CHARS + block, specs) == []  # a huge reply is not a call
