"""websearch: search the web through the backend set in config ([websearch] backend, url)."""

from typing import Annotated, Any

import msgspec

from ..providers.http import shared_session
from .base import ToolError
from .context import ToolContext

NAME = "websearch"
KIND = "network"
RESULTS = 8
BRAVE_URL = "https://api.search.brave.com/res/v1/web/search"


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    query: Annotated[str, msgspec.Meta(min_length=1, description="What to search for")]


def subject(params: Params) -> str:
    return params.query


async def _get_json(url: str, params: dict[str, str], headers: dict[str, str]) -> Any:
    import aiohttp  # on first use: the web tools are rare, and the agent should not wait for the import

    try:
        async with shared_session().get(
            url, params=params, headers=headers, timeout=aiohttp.ClientTimeout(total=20)
        ) as response:
            if response.status >= 400:
                raise ToolError(f"the search backend answered HTTP {response.status}")
            return await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise ToolError(f"the search backend failed: {type(exc).__name__}: {exc}") from exc


def _format(results: list[tuple[str, str, str]]) -> str:
    if not results:
        return "no results"
    return "\n\n".join(f"{i}. {title}\n   {url}\n   {snippet}" for i, (title, url, snippet) in enumerate(results, 1))


async def run(params: Params, ctx: ToolContext) -> str:
    settings = getattr(ctx.settings, "websearch", None)
    backend = getattr(settings, "backend", "none")
    if backend == "searxng":
        if not settings.url:
            raise ToolError("[websearch] backend is searxng but no url is set", "set websearch.url in the config")
        data = await _get_json(f"{settings.url.rstrip('/')}/search", {"q": params.query, "format": "json"}, {})
        rows = data.get("results", []) if isinstance(data, dict) else []
        return _format([(r.get("title", ""), r.get("url", ""), r.get("content", "")) for r in rows[:RESULTS]])
    if backend == "brave":
        from ..secrets import SecretResolver

        secret = SecretResolver.from_environment().resolve("brave")
        if secret is None or not secret.api_key:
            raise ToolError("the brave search backend needs a key", "run `codetether auth login brave`")
        url = (settings.url or BRAVE_URL) if settings else BRAVE_URL
        data = await _get_json(
            url, {"q": params.query, "count": str(RESULTS)}, {"X-Subscription-Token": secret.api_key}
        )
        rows = (data.get("web") or {}).get("results", []) if isinstance(data, dict) else []
        return _format([(r.get("title", ""), r.get("url", ""), r.get("description", "")) for r in rows[:RESULTS]])
    raise ToolError(
        "no websearch backend is configured",
        'set [websearch] backend = "searxng" and url = "http://...", or backend = "brave" with a key',
    )
