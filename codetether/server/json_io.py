"""JSON in and out of the server's plain HTTP routes (worker, cognition, k8s, audit).

The A2A bindings have their own (camelCase keys, the spec's error shapes: ``rest.py``, ``jsonrpc.py``);
these routes speak msgspec Structs as they are, and each names its own error for a bad body.
"""

from collections.abc import Callable
from typing import TypeVar

import msgspec
from aiohttp import web

T = TypeVar("T")

_encode = msgspec.json.Encoder().encode


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encode(data), content_type="application/json")


async def json_body(
    request: web.Request, kind: type[T], *, invalid: Callable[[str], Exception], optional: bool = False
) -> T:
    """The body decoded as ``kind``; ``optional``: a blank body is ``{}`` (every field its default).
    A body that is not JSON or not a ``kind`` raises ``invalid(why)``."""
    raw = await request.read()
    if optional and not raw.strip():
        raw = b"{}"
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.DecodeError as exc:  # msgspec.ValidationError included
        raise invalid(str(exc)) from exc
