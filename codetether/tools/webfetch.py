"""webfetch: GET a URL and return it as markdown, text or HTML."""

import html
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

from ..providers.http import shared_session
from .base import ToolError
from .context import ToolContext

NAME = "webfetch"
KIND = "network"
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 30


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: Annotated[str, msgspec.Meta(description="http(s) URL to fetch")]
    format: Annotated[Literal["markdown", "text", "html"], msgspec.Meta(description="How to return the page")] = (
        "markdown"
    )


def subject(params: Params) -> str:
    return params.url


_TAGS = re.compile(r"<[^>]+>")
_DROP = re.compile(r"<(script|style|noscript)\b.*?</\1>", re.S | re.I)


def html_to_text(page: str) -> str:
    text = _TAGS.sub(" ", _DROP.sub(" ", page))
    return "\n".join(" ".join(line.split()) for line in html.unescape(text).splitlines() if line.strip())


def html_to_markdown(page: str) -> str:
    from markdownify import markdownify

    markdown = markdownify(_DROP.sub("", page), heading_style="ATX", strip=["img"])
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()


async def run(params: Params, ctx: ToolContext) -> str:
    if urlsplit(params.url).scheme not in ("http", "https"):
        raise ToolError(f"only http and https URLs can be fetched, not {params.url!r}")
    import aiohttp  # on first use: the web tools are rare, and the agent should not wait for the import

    try:
        async with shared_session().get(
            params.url, timeout=aiohttp.ClientTimeout(total=TIMEOUT), headers={"Accept": "text/html, */*;q=0.8"}
        ) as response:
            if response.status >= 400:
                raise ToolError(f"{params.url} answered HTTP {response.status} {response.reason}")
            body = await response.content.read(MAX_BYTES + 1)
            content_type = response.headers.get("Content-Type", "")
            charset = response.charset or "utf-8"
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ToolError(f"fetching {params.url} failed: {type(exc).__name__}: {exc}") from exc
    truncated = len(body) > MAX_BYTES
    text = body[:MAX_BYTES].decode(charset, errors="replace")
    is_html = "html" in content_type or text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))
    if is_html and params.format == "markdown":
        text = html_to_markdown(text)
    elif is_html and params.format == "text":
        text = html_to_text(text)
    return text + ("\n[page truncated at 5 MB]" if truncated else "")
