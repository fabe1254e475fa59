"""What a tool is: a msgspec ``Params`` Struct, an async ``run``, prose for the model, and its risk.

Each tool module defines ``NAME``, ``Params``, ``KIND`` ("read", "edit", "execute", "network") and
``async def run(params, ctx)``; the model-facing description lives in ``NAME.md`` beside it.
:func:`define` turns such a module into a :class:`ToolDef` with its JSON Schema.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import ModuleType
from typing import Any

import msgspec

from ..errors import CodetetherError
from ..providers.types import ToolSpec


class ToolError(CodetetherError):
    """A failure the model can act on (bad path, no match, timeout). Its text goes back to the model."""


class ToolResult(msgspec.Struct, kw_only=True):
    output: str
    title: str = ""
    metadata: dict[str, Any] = {}


@dataclass(frozen=True, eq=False)
class ToolDef:
    name: str
    params: type[msgspec.Struct]
    run: Callable[[Any, Any], Awaitable[str | ToolResult]]
    description: str
    kind: str  # read | edit | execute | network | delegate
    subject: Callable[[Any], str] | None  # what a permission rule matches against (command, path, url)
    schema: dict[str, Any] | None = None  # a ready JSON Schema (plugins), instead of one derived from params

    @property
    def read_only(self) -> bool:
        return self.kind == "read"

    def describe(self, arguments: str, width: int = 70) -> str:
        """The one-line summary of a call that every view shows (``bash pytest -q``, ``edit app.py``)."""
        return describe_call(self.name, arguments, width)

    def spec(self) -> ToolSpec:
        if self.schema is not None:
            return ToolSpec(name=self.name, description=self.description, parameters=self.schema)
        return _spec(self.name, self.description, self.params)

    def schema_chars(self) -> int:
        if self.schema is not None:
            return len(self.name) + len(self.description) + len(msgspec.json.encode(self.schema))
        return _schema_chars(self.name, self.description, self.params)


# The argument that best names what a call acts on, in order of preference.
_SUMMARY_KEYS = ("command", "file_path", "pattern", "path", "url", "query", "description", "name", "key", "action")


def describe_call(name: str, arguments: str, width: int = 70) -> str:
    """``name`` and its main argument on one line; ``name`` alone when the arguments say nothing usable."""
    try:
        args = msgspec.json.decode(arguments or "{}")
    except msgspec.DecodeError:
        return name
    if not isinstance(args, dict):
        return name
    for key in _SUMMARY_KEYS:
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            line = " ".join(value.split())
            return f"{name} {line if len(line) <= width else line[: width - 1] + '…'}"
    return name


@cache
def _schema_chars(name: str, description: str, params: type[msgspec.Struct]) -> int:
    return len(name) + len(description) + len(msgspec.json.encode(json_schema(params)))


@cache
def _spec(name: str, description: str, params: type[msgspec.Struct]) -> ToolSpec:
    return ToolSpec(name=name, description=description, parameters=json_schema(params))


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@cache
def json_schema(params: type[msgspec.Struct]) -> dict[str, Any]:
    """A self-contained JSON Schema (no $ref) for a Params Struct, as providers expect it (computed once)."""
    (ref,), components = msgspec.json.schema_components([params])
    schema = _inline(ref, components)
    schema.setdefault("properties", {})
    return schema


@cache
def define(module: ModuleType) -> ToolDef:
    name: str = module.NAME
    description = resources.files("codetether.tools").joinpath(f"{name}.md").read_text("utf-8").strip()
    return ToolDef(
        name=name,
        params=module.Params,
        run=module.run,
        description=description,
        kind=getattr(module, "KIND", "read"),
        subject=getattr(module, "subject", None),
    )
