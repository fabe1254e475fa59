"""A small Language Server Protocol client over stdio (JSON-RPC with Content-Length framing)."""

import asyncio
import contextlib
import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from ..security.lifeline import Lifeline, guarded
from ..security.toolenv import tool_environment
from .base import ToolError

LANGUAGE_IDS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascriptreact",
    ".ts": "typescript",
    ".tsx": "typescriptreact",
    ".go": "go",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".java": "java",
}


class LSPClient:
    """One running language server for one workspace."""

    def __init__(
        self,
        command: list[str],
        root: Path,
        env: Mapping[str, str] | None = None,
        *,
        initialization_options: dict[str, Any] | None = None,
    ) -> None:
        self.command = command
        self.root = root
        # Sent with `initialize`, and as the answer to `workspace/configuration` (servers that pull settings).
        self.initialization_options = initialization_options
        # A language server runs the project's code (plugins, build scripts): no secrets unless passed.
        self.env = dict(env) if env is not None else tool_environment(os.environ)
        self.proc: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._versions: dict[str, int] = {}
        self._texts: dict[str, str] = {}
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self._diagnostics_seen: dict[str, asyncio.Event] = {}
        self._reader: asyncio.Task | None = None
        self._background: set[asyncio.Future] = set()
        self._lifeline = Lifeline()

    async def start(self, timeout: float = 30.0) -> None:
        # Its own process group with a lifeline on a spare descriptor (stdin is the protocol): the server
        # and whatever it starts (tsserver, build daemons) die when the session ends or the agent dies.
        watch = self._lifeline.child_end
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *guarded(self.command, watch_fd=watch),
                cwd=self.root,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=self.env,
                pass_fds=(watch,),
                start_new_session=True,
            )
        except BaseException:
            self._lifeline.cut()
            raise
        finally:
            self._lifeline.started()
        self._reader = asyncio.create_task(self._read_loop())
        capabilities = {
            "textDocument": {
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "definition": {"linkSupport": False},
                "references": {},
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                "publishDiagnostics": {"relatedInformation": False},
                "synchronization": {"didSave": False},
            },
            "workspace": {"workspaceFolders": True},
        }
        initialize: dict[str, Any] = {
            "processId": os.getpid(),
            "rootUri": self.root.as_uri(),
            "capabilities": capabilities,
            "workspaceFolders": [{"uri": self.root.as_uri(), "name": self.root.name}],
        }
        if self.initialization_options is not None:
            initialize["initializationOptions"] = self.initialization_options
        await self.request("initialize", initialize, timeout=timeout)
        await self.notify("initialized", {})

    async def _send(self, message: dict[str, Any]) -> None:
        if self.proc is None or self.proc.stdin is None or self.proc.returncode is not None:
            raise ToolError(f"the language server {self.command[0]} is not running")
        body = msgspec.json.encode({"jsonrpc": "2.0", **message})
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.proc.stdin.drain()

    async def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        request_id = next(self._ids)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        await self._send({"id": request_id, "method": method, "params": params})
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise ToolError(f"the language server did not answer {method} within {timeout:g}s") from exc
        finally:
            self._pending.pop(request_id, None)

    async def notify(self, method: str, params: Any) -> None:
        await self._send({"method": method, "params": params})

    async def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = await stdout.readline()
                    if not line:
                        raise EOFError
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                self._dispatch(msgspec.json.decode(await stdout.readexactly(length)))
        except (EOFError, asyncio.IncompleteReadError, ValueError):
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ToolError(f"the language server {self.command[0]} exited"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and ("result" in message or "error" in message):
            future = self._pending.get(message["id"])
            if future is None or future.done():
                return
            if "error" in message:
                error = message["error"]
                future.set_exception(ToolError(f"language server error: {error.get('message', error)}"))
            else:
                future.set_result(message.get("result"))
        elif message.get("method") == "textDocument/publishDiagnostics":
            params = message.get("params") or {}
            uri = params.get("uri", "")
            self.diagnostics[uri] = params.get("diagnostics", [])
            self._diagnostics_seen.setdefault(uri, asyncio.Event()).set()
        elif "id" in message and "method" in message:  # a request from the server: answer so it never waits
            result = None
            if message["method"] == "workspace/configuration" and self.initialization_options is not None:
                # The same settings again, so a server that pulls them cannot fall back to its defaults.
                items = (message.get("params") or {}).get("items") or []
                result = [self.initialization_options for _ in items]
            task = asyncio.ensure_future(self._send({"id": message["id"], "result": result}))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def open(self, path: Path) -> str:
        """Make sure the server has the file's current text; returns its URI."""
        uri = path.as_uri()
        text = path.read_text("utf-8", errors="replace")
        if uri not in self._versions:
            self._versions[uri] = 1
            self._texts[uri] = text
            language = LANGUAGE_IDS.get(path.suffix, "plaintext")
            item = {"uri": uri, "languageId": language, "version": 1, "text": text}
            await self.notify("textDocument/didOpen", {"textDocument": item})
        elif self._texts[uri] != text:
            self._versions[uri] += 1
            self._texts[uri] = text
            self._diagnostics_seen.pop(uri, None)
            await self.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": self._versions[uri]}, "contentChanges": [{"text": text}]},
            )
        return uri

    async def wait_diagnostics(self, uri: str, timeout: float) -> list[dict[str, Any]]:
        event = self._diagnostics_seen.setdefault(uri, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        return self.diagnostics.get(uri, [])

    async def close(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            self._lifeline.cut()
            return
        with contextlib.suppress(Exception):
            await self.request("shutdown", None, timeout=5)
            await self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 5)
        self._lifeline.cut()  # what the server started goes with it
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self._reader:
            self._reader.cancel()
