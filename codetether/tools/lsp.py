"""lsp: definition, references, hover, diagnostics and symbols from a real language server.

Asking a running server is a read, but starting one is not: servers run the project's own code
(rust-analyzer builds build.rs and proc macros, tsserver loads plugins named in tsconfig, pylsp plugins
may import the project). So the first call that needs a server for a workspace asks the permission
gate as an ``execute`` of the exact command line that will start (rules for ``execute`` and ``lsp``
apply, as for a shell command); once allowed, the running server serves the rest of the session without
asking again. Where a server has switches for it, it also starts with the project's code turned off
(``NO_PROJECT_CODE``) unless ``agent.lsp_project_code`` is set in the user's or a trusted project's
config: defence in depth, not a substitute for the gate (a project's ``.cargo/config.toml`` can still
name a rustc wrapper that ``cargo metadata`` runs, and newer rust-analyzers read a ``rust-analyzer.toml``
in the project).
"""

import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

import msgspec

from ..security.permissions import PermissionRequest
from ..security.toolenv import pass_env_of, tool_environment
from .base import ToolError
from .context import ToolContext
from .lsp_client import LSPClient

NAME = "lsp"
KIND = "read"

# extension -> (server command, how to install it)
SERVERS: dict[str, tuple[list[str], str]] = {
    ".py": (["pylsp"], "pip install python-lsp-server"),
    ".pyi": (["pylsp"], "pip install python-lsp-server"),
    ".ts": (["typescript-language-server", "--stdio"], "npm install -g typescript-language-server typescript"),
    ".tsx": (["typescript-language-server", "--stdio"], "npm install -g typescript-language-server typescript"),
    ".js": (["typescript-language-server", "--stdio"], "npm install -g typescript-language-server typescript"),
    ".go": (["gopls"], "go install golang.org/x/tools/gopls@latest"),
    ".rs": (["rust-analyzer"], "rustup component add rust-analyzer"),
}
# server -> initializationOptions that keep it from building or running the project's code.
NO_PROJECT_CODE: dict[str, dict[str, Any]] = {
    "rust-analyzer": {
        "cargo": {"buildScripts": {"enable": False}},  # no build.rs
        "procMacro": {"enable": False},  # no proc-macro expansion (runs the macro crates)
        "checkOnSave": False,  # no `cargo check`, which builds build scripts and proc macros
    },
}
SYMBOL_KINDS = {
    1: "file",
    2: "module",
    3: "namespace",
    4: "package",
    5: "class",
    6: "method",
    7: "property",
    8: "field",
    9: "constructor",
    10: "enum",
    11: "interface",
    12: "function",
    13: "variable",
    14: "constant",
    23: "struct",
}
SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    operation: Annotated[
        Literal["definition", "references", "hover", "diagnostics", "symbols"],
        msgspec.Meta(description="What to ask the language server"),
    ]
    file_path: Annotated[str, msgspec.Meta(description="The file")]
    line: Annotated[int, msgspec.Meta(ge=1, description="1-based line (definition, references, hover)")] = 1
    character: Annotated[int, msgspec.Meta(ge=1, description="1-based column (definition, references, hover)")] = 1


def _binary(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


async def client_for(ctx: ToolContext, path: Path) -> LSPClient:
    """The session's server for ``path``'s language, started (after the permission gate) on first use."""
    entry = SERVERS.get(path.suffix)
    if entry is None:
        raise ToolError(f"no language server is known for {path.suffix or 'extensionless'} files")
    command, install = entry
    binary = _binary(command[0])
    if binary is None:
        raise ToolError(f"the language server {command[0]} is not installed", install)
    argv = [binary, *command[1:]]
    line = shlex.join(argv)
    key = f"{line}\0{ctx.workspace.root}"
    clients: dict[str, LSPClient] = ctx.state.lsp_clients
    # One start at a time: parallel calls (lsp is a read, so they run together) ask the user once.
    async with ctx.state.lsp_starting:
        if key in clients:
            return clients[key]
        await ctx.check(PermissionRequest(NAME, line, "execute"))
        options = None if ctx.settings.agent.lsp_project_code else NO_PROJECT_CODE.get(command[0])
        env = tool_environment(ctx.services.environment, pass_env_of(ctx.settings))
        client = LSPClient(argv, ctx.workspace.root, env, initialization_options=options)
        ctx.state.cleanups.append(client.close)  # a server that fails to initialize is stopped too
        await client.start()
        clients[key] = client
        return client


def _path_of(uri: str) -> Path:
    return Path(unquote(urlsplit(uri).path))


def _locations(ctx: ToolContext, result: Any) -> str:
    items = result if isinstance(result, list) else [result] if result else []
    rows = []
    for item in items:
        uri = item.get("uri") or item.get("targetUri")
        rng = item.get("range") or item.get("targetSelectionRange") or {}
        start = rng.get("start", {})
        path = _path_of(uri)
        line = start.get("line", 0)
        try:
            source = path.read_text("utf-8", errors="replace").splitlines()[line].strip()
        except (OSError, IndexError):
            source = ""
        rows.append(f"{ctx.display(path)}:{line + 1}:{start.get('character', 0) + 1}  {source[:160]}")
    return "\n".join(rows) or "no results"


def _hover(result: Any) -> str:
    if not result:
        return "no hover information here"
    contents = result.get("contents")
    if isinstance(contents, dict):
        return contents.get("value", "")
    if isinstance(contents, list):
        return "\n\n".join(c.get("value", "") if isinstance(c, dict) else str(c) for c in contents)
    return str(contents)


def _symbols(items: list[dict[str, Any]], depth: int = 0) -> list[str]:
    rows = []
    for item in items or []:
        kind = SYMBOL_KINDS.get(item.get("kind", 0), "symbol")
        rng = item.get("selectionRange") or item.get("range") or (item.get("location") or {}).get("range", {})
        rows.append(f"{'  ' * depth}{kind} {item.get('name')} (line {rng.get('start', {}).get('line', 0) + 1})")
        rows += _symbols(item.get("children", []), depth + 1)
    return rows


async def run(params: Params, ctx: ToolContext) -> str:
    path = await ctx.path(params.file_path)
    if not path.is_file():
        raise ToolError(f"{params.file_path} is not a file")
    client = await client_for(ctx, path)
    uri = await client.open(path)
    position = {"textDocument": {"uri": uri}, "position": {"line": params.line - 1, "character": params.character - 1}}
    if params.operation == "definition":
        return _locations(ctx, await client.request("textDocument/definition", position))
    if params.operation == "references":
        return _locations(
            ctx, await client.request("textDocument/references", {**position, "context": {"includeDeclaration": True}})
        )
    if params.operation == "hover":
        return _hover(await client.request("textDocument/hover", position))
    if params.operation == "symbols":
        result = await client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        return "\n".join(_symbols(result)) or "no symbols"
    diagnostics = await client.wait_diagnostics(uri, timeout=20)
    if not diagnostics:
        return f"no diagnostics for {ctx.display(path)}"
    rows = []
    for d in diagnostics:
        start = d.get("range", {}).get("start", {})
        severity = SEVERITY.get(d.get("severity", 1), "error")
        source = f"{d['source']}: " if d.get("source") else ""
        rows.append(f"{start.get('line', 0) + 1}:{start.get('character', 0) + 1} {severity} {source}{d.get('message')}")
    return "\n".join(rows)
