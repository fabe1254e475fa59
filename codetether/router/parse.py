"""Tool calls a model wrote out as text, found without running any model.

Models served without native tool support (many local servers' models, a prompt-only fine-tune)
write their calls into the reply: Hermes/Qwen-style ``<tool_call>{...}</tool_call>`` blocks, a fenced
JSON object, or ``read_file(file_path="x")``. Each candidate must name an offered tool and fit its
schema (:func:`~codetether.providers.llama_calls.check_call`); anything else is left as prose, so an
answer that merely shows a JSON example is never turned into a call.
"""

import ast
import json
import re
from typing import Any

from ..providers.llama_calls import check_call
from ..providers.types import ToolCall, ToolSpec

_TAGGED = re.compile(r"<(tool_call|function_call)>\s*(.*?)\s*</\1>", re.S)
_FENCED = re.compile(r"```(?:json|tool_call|tool)?[ \t]*\n(.*?)\n?```", re.S)
_CALL_LINE = re.compile(r"^[ \t>*-]*`?(?P<name>[A-Za-z_][\w.-]*)\((?P<args>.*)\)`?[ \t.;]*$", re.M)
MAX_SCAN_CHARS = 200_000  # a reply longer than this is not a call written out


def parse_text_calls(text: str, specs: list[ToolSpec]) -> list[ToolCall]:
    """The calls written in ``text``, in order; the first form that yields any wins. [] when none."""
    if not text or not specs or len(text) > MAX_SCAN_CHARS:
        return []
    for finder in (_tagged, _fenced, _call_lines):
        calls = [c for c in finder(text, specs) if c is not None]
        if calls:
            return calls
    return []


def _from_json(body: str, specs: list[ToolSpec]) -> list[ToolCall | None]:
    try:
        value = json.loads(body)
    except ValueError:
        return []
    items = value if isinstance(value, list) else [value]
    return [_from_object(item, specs) for item in items if isinstance(item, dict)]


def _from_object(item: dict[str, Any], specs: list[ToolSpec]) -> ToolCall | None:
    """``{"name", "arguments"|"parameters"}``, also OpenAI's ``{"function": {...}}`` shape."""
    if isinstance(item.get("function"), dict):
        item = item["function"]
    arguments = item.get("arguments", item.get("parameters", {}))
    if isinstance(arguments, str):  # OpenAI sends the arguments as JSON text
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    return check_call(specs, item.get("name"), arguments)


def _tagged(text: str, specs: list[ToolSpec]) -> list[ToolCall | None]:
    return [call for match in _TAGGED.finditer(text) for call in _from_json(match.group(2), specs)]


def _fenced(text: str, specs: list[ToolSpec]) -> list[ToolCall | None]:
    return [call for match in _FENCED.finditer(text) for call in _from_json(match.group(1), specs)]


def _call_lines(text: str, specs: list[ToolSpec]) -> list[ToolCall | None]:
    names = {s.name: s for s in specs}
    calls: list[ToolCall | None] = []
    for match in _CALL_LINE.finditer(text):
        spec = names.get(match.group("name"))
        if spec is not None:
            calls.append(check_call(specs, spec.name, _arguments(match.group("args"), spec)))
    return calls


def _arguments(source: str, spec: ToolSpec) -> dict[str, Any] | None:
    """``{"a": 1}`` as JSON, or Python-style ``a=1, b="x"`` / positional literals in schema order."""
    source = source.strip()
    if source.startswith("{"):
        try:
            value = json.loads(source)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    try:
        node = ast.parse(f"f({source})", mode="eval").body
        assert isinstance(node, ast.Call)
        keywords = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
        positional = [ast.literal_eval(arg) for arg in node.args]
    except (SyntaxError, ValueError, TypeError, AssertionError, RecursionError, MemoryError):
        return None
    order = [*spec.parameters.get("required", []), *spec.parameters.get("properties", {})]
    order = [name for i, name in enumerate(order) if name not in order[:i] and name not in keywords]
    if len(positional) > len(order):
        return None
    return {**dict(zip(order, positional, strict=False)), **keywords}
