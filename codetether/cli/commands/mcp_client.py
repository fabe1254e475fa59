"""``codetether mcp list|tools|call``: look at and use the ``[mcp.NAME]`` servers without the agent."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ...errors import UsageError
from ..context import AppContext

if TYPE_CHECKING:
    from ...mcp.client import McpClients

T = TypeVar("T")


def _with_clients(ctx: click.Context, work: Callable[["McpClients"], Awaitable[T]]) -> T:
    """Run ``work`` with the runtime's MCP servers; every server it started is stopped before returning.

    A server's failure reaches the user once, as the command's error or in its table, not also as a notice.
    """
    from ...runtime import Runtime

    loaded = ctx.ensure_object(AppContext).config()
    if not loaded.config.mcp:
        raise UsageError("no MCP servers are configured", "add one under [mcp.NAME] in the config (see docs/mcp.md)")

    async def run() -> T:
        async with Runtime(loaded, notice=lambda _text: None) as runtime:
            return await work(runtime.mcp)

    return asyncio.run(run())


def _json(value: Any) -> str:
    import msgspec

    return msgspec.json.format(msgspec.json.encode(value), indent=2).decode()


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_servers(ctx: click.Context, as_json: bool) -> None:
    """List the configured MCP servers; each enabled one is started to show its state and tool count."""
    from ...mcp.config import McpError

    async def work(clients: "McpClients") -> list[dict[str, Any]]:
        async def one(name: str) -> dict[str, Any]:
            section = clients.sections[name]
            entry = {
                "name": name,
                "transport": "stdio" if section.command else "http",
                "target": " ".join([section.command, *section.args]) if section.command else section.url or "",
                "enabled": section.enabled,
                "state": "disabled",
            }
            if section.enabled:
                try:
                    entry["tools"] = len(await clients.run(name, "tools"))
                    entry["state"] = "ready"
                except McpError as exc:
                    entry["state"], entry["error"] = "failed", str(exc)
            return entry

        return list(await asyncio.gather(*map(one, sorted(clients.sections))))

    entries = _with_clients(ctx, work)
    if as_json:
        click.echo(_json(entries))
        return
    rows = [("name", "transport", "state", "target")]
    for e in entries:
        state = f"ready, {e['tools']} tools" if e["state"] == "ready" else e["state"]
        rows.append((e["name"], e["transport"], state, e["target"]))
    _table(rows)
    for e in entries:
        if "error" in e:
            click.echo(f"{e['name']}: {e['error']}")


@click.command()
@click.argument("name")
@click.option("--resources", is_flag=True, help="Also list the server's resources.")
@click.option("--prompts", is_flag=True, help="Also list the server's prompts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (tools with their input schemas).")
@click.pass_context
def tools(ctx: click.Context, name: str, resources: bool, prompts: bool, as_json: bool) -> None:
    """List the tools (and optionally resources and prompts) the server NAME offers."""
    from ...mcp.config import tool_name

    async def work(clients: "McpClients") -> dict[str, Any]:
        found: dict[str, Any] = {"tools": await clients.run(name, "tools")}
        if resources:
            found["resources"] = await clients.run(name, "list_resources")
        if prompts:
            found["prompts"] = await clients.run(name, "list_prompts")
        return found

    found = _with_clients(ctx, work)
    if as_json:
        click.echo(_json(found))
        return
    for tool in found["tools"]:
        about = (tool.get("description") or "").strip().splitlines()
        click.echo(f"{tool_name(name, tool['name'])}  {about[0] if about else ''}".rstrip())
    for resource in found.get("resources", []):
        click.echo(f"resource {resource['uri']}  {resource.get('description') or resource.get('name', '')}".rstrip())
    for prompt in found.get("prompts", []):
        arguments = ", ".join(a["name"] for a in prompt.get("arguments") or [])
        click.echo(f"prompt {prompt['name']}({arguments})  {prompt.get('description') or ''}".rstrip())


@click.command()
@click.argument("name")
@click.argument("tool")
@click.option("--arguments", "-a", "arguments", default="{}", help="The tool's arguments as a JSON object.")
@click.option("--json", "as_json", is_flag=True, help="Print the raw MCP result as JSON.")
@click.pass_context
def call(ctx: click.Context, name: str, tool: str, arguments: str, as_json: bool) -> None:
    """Call TOOL of the server NAME; exits 1 when the tool reports an error."""
    import msgspec

    from ...mcp.tools import render

    try:
        parsed = msgspec.json.decode(arguments)
    except msgspec.DecodeError as exc:
        raise UsageError(f"--arguments is not JSON: {exc}", '--arguments \'{"path": "README.md"}\'') from None
    if not isinstance(parsed, dict):
        raise UsageError("--arguments must be a JSON object", '--arguments \'{"path": "README.md"}\'')
    result = _with_clients(ctx, lambda clients: clients.run(name, "call_tool", tool, parsed))
    click.echo(_json(result) if as_json else render(result))
    if result.get("isError"):
        ctx.exit(1)
