"""Accept ProtoJSON's snake_case field names in request JSON, as every ProtoJSON parser does.

Spec 1.0 §5.5 says JSON *uses* camelCase, and we always emit it; but the ProtoJSON mapping that
spec adopts has parsers accept the proto field name too (``context_id`` for ``contextId``), the
reference SDK does, and clients send it. msgspec knows one name per field and would silently drop a
snake_case optional field, so :func:`camel_keys` renames such keys before the typed decode.

Only the keys of known message fields are renamed, guided by the target type: free-form JSON
(metadata, data parts, anything typed ``Any`` or ``dict[str, Any]``) is the client's and is never
touched. A key given in both spellings is refused, as protobuf's own parser refuses it.
"""

import re
from typing import Any

import msgspec
import msgspec.inspect as mi

from ..domain.errors import InvalidParamsError


class _Struct:
    """How to rename one Struct's keys: snake name -> wire name, and the plan for each nested field."""

    __slots__ = ("children", "renames")

    def __init__(self) -> None:
        self.renames: dict[str, str] = {}
        self.children: dict[str, Any] = {}


class _List:
    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


class _Tagged:
    """A tagged union of Structs: the tag's value picks the plan."""

    __slots__ = ("by_tag", "tag_field")

    def __init__(self, tag_field: str, by_tag: dict[Any, _Struct]) -> None:
        self.tag_field = tag_field
        self.by_tag = by_tag


_plans: dict[type, Any] = {}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _plan(info: mi.Type, structs: dict[type, _Struct]) -> Any:
    """The rename plan for ``info``, or ``None`` where nothing under it can need one."""
    if isinstance(info, mi.StructType):
        if info.cls in structs:  # recursive types share one plan
            return structs[info.cls]
        plan = structs[info.cls] = _Struct()
        for field in info.fields:
            snake = _snake(field.encode_name)
            if snake != field.encode_name:
                plan.renames[snake] = field.encode_name
            child = _plan(field.type, structs)
            if child is not None:
                plan.children[field.encode_name] = child
        return plan
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        item = _plan(info.item_type, structs)
        return None if item is None else _List(item)
    if isinstance(info, mi.UnionType):
        members = [t for t in info.types if isinstance(t, mi.StructType)]
        if len(members) == 1:
            return _plan(members[0], structs)
        if members and members[0].tag_field:
            return _Tagged(members[0].tag_field, {m.tag: _plan(m, structs) for m in members})
        return None
    return None  # scalars, enums, Any, dict[str, Any]: free-form or keyless


def plan_for(kind: type) -> Any:
    plan = _plans.get(kind)
    if plan is None and kind not in _plans:
        plan = _plans[kind] = _plan(mi.type_info(kind), {})
    return plan


def _apply(plan: Any, value: Any, where: str) -> None:
    if isinstance(plan, _Struct):
        if not isinstance(value, dict):
            return
        for snake, camel in plan.renames.items():
            if snake in value:
                if camel in value:
                    raise InvalidParamsError(f"Invalid parameters: {where}{camel} is given twice (as {snake} too)")
                value[camel] = value.pop(snake)
        for camel, child in plan.children.items():
            if camel in value:
                _apply(child, value[camel], f"{where}{camel}.")
    elif isinstance(plan, _List):
        if isinstance(value, list):
            for index, item in enumerate(value):
                _apply(plan.item, item, f"{where[:-1]}[{index}].")
    elif isinstance(plan, _Tagged) and isinstance(value, dict):
        chosen = plan.by_tag.get(value.get(plan.tag_field))
        if chosen is not None:
            _apply(chosen, value, where)


def camel_keys(data: Any, kind: type) -> Any:
    """``data`` (decoded JSON for type ``kind``) with its snake_case field names renamed, in place."""
    plan = plan_for(kind)
    if plan is not None:
        _apply(plan, data, "")
    return data


# The end of a JSON object key holding an underscore (only a key is followed by a colon). Inside a
# string value a quote is escaped (``\"``), which the class excludes, so text such as ``my_file.py``
# or ``ROLE_USER`` does not match; free-form keys may (harmless). Starting at the underscore keeps
# the search to the few places an underscore is (0.4 us on a typical body against 0.9 us from quotes).
_SNAKE_KEY = re.compile(rb'_[a-z0-9_]*"\s*:')


def may_have_snake_keys(body: bytes) -> bool:
    """False when no key of ``body`` can be snake_case: then the typed decoder may read it directly.
    The memchr test first: most requests have no underscore at all."""
    return b"_" in body and _SNAKE_KEY.search(body) is not None


def decode(raw: bytes | msgspec.Raw, kind: type) -> Any:
    """Decode JSON ``raw`` as ``kind`` accepting either spelling of each field name: plain JSON first,
    renamed, then converted. Callers take this path only when :func:`may_have_snake_keys` says so
    and decode straight into ``kind`` otherwise."""
    return msgspec.convert(camel_keys(msgspec.json.decode(raw), kind), kind)
