"""A session's history as text people read (``sessions show``, ``sessions export --format markdown``)."""

from ..providers.types import ImagePart, Message, ThinkingPart


def render_markdown(messages: list[Message], *, include_system: bool = False) -> str:
    blocks = []
    for m in messages:
        if m.role == "system" and not include_system:
            continue
        if m.role == "tool":
            status = " (error)" if m.is_error else ""
            blocks.append(f"#### {m.name} result{status}\n\n```\n{m.text}\n```")
            continue
        parts = []
        for part in m.content:
            if isinstance(part, ThinkingPart):
                parts.append(f"> _thinking:_ {part.text}")
            elif isinstance(part, ImagePart):
                parts.append(f"[image {part.media_type}]")
            elif part.text:
                parts.append(part.text)
        parts += [f"→ `{c.name}` `{c.arguments}`" for c in m.tool_calls]
        blocks.append(f"### {m.role}\n\n" + "\n\n".join(parts))
    return "\n\n".join(blocks) + "\n"
