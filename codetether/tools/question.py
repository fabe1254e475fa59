"""question: ask the user, when the run is interactive."""

from typing import Annotated

import msgspec

from .context import ToolContext

NAME = "question"
KIND = "read"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    question: Annotated[str, msgspec.Meta(description="The question, self-contained")]
    options: Annotated[list[str], msgspec.Meta(description="Suggested answers, if any")] = []


async def run(params: Params, ctx: ToolContext) -> str:
    answer = (await ctx.services.question(params.question, params.options)).strip()
    return f"The user answered: {answer}" if answer else "The user gave no answer."
