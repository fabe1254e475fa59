"""swarm_share: publish and read results shared between the sub-agents of a swarm (over the bus)."""

from typing import Annotated, Literal

import msgspec

from .base import ToolError
from .context import ToolContext

NAME = "swarm_share"
KIND = "read"  # it touches only the in-process bus


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: Annotated[Literal["publish", "read", "wait", "list"], msgspec.Meta(description="What to do")]
    key: Annotated[str, msgspec.Meta(description="Result name, e.g. api-schema (publish, read, wait)")] = ""
    value: Annotated[str, msgspec.Meta(description="The result to publish")] = ""
    timeout: Annotated[float, msgspec.Meta(ge=0, le=600, description="Seconds to wait (wait)")] = 60


async def run(params: Params, ctx: ToolContext) -> str:
    handle = ctx.services.bus
    if handle is None:
        raise ToolError("swarm_share works only inside a swarm")
    if params.action == "list":
        keys = sorted(handle.bus.shared)
        return "shared results: " + (", ".join(keys) if keys else "none yet")
    if not params.key:
        raise ToolError(f"{params.action} needs a key")
    if params.action == "publish":
        handle.share_result(params.key, params.value)
        return f"published {params.key!r} ({len(params.value)} characters)"
    if params.action == "read":
        value = handle.shared_result(params.key)
        if value is None:
            raise ToolError(f"no shared result {params.key!r} yet", "use action=wait to wait for it")
        return str(value)
    try:
        return str(await handle.wait_result(params.key, timeout=params.timeout))
    except TimeoutError as exc:
        raise ToolError(str(exc)) from exc
