"""Installed plugins: verified copies under the data dir, turned into tools the agent can call."""

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..paths import data_dir, ensure_private_dir
from ..security.sandbox import NOBODY, SandboxPolicy, policy_from
from ..security.sandbox import run as run_in_sandbox
from ..tools.base import ToolDef, ToolError, ToolResult
from .manifest import PluginError, PluginManifest, verify, version_tuple

ARGS_VARIABLE = "CODETETHER_PLUGIN_ARGS"


def plugins_dir() -> Path:
    return data_dir() / "plugins"


def max_policy(config: Any) -> SandboxPolicy:
    return policy_from(config.plugins)


def _versions_file() -> Path:
    return plugins_dir() / "versions.json"


def _versions() -> dict[str, str]:
    try:
        return json.loads(_versions_file().read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def install(source: Path, config: Any) -> tuple[PluginManifest, str]:
    """Verify, refuse a downgrade (a replayed older manifest), copy in, and remember the version."""
    manifest, signer = verify(source, config.plugins.trusted_keys, max_policy(config))
    seen = _versions().get(manifest.id)
    if seen is not None and manifest.version_tuple < version_tuple(seen):
        raise PluginError(
            f"plugin {manifest.id} {manifest.version} is older than the installed {seen}: refusing a downgrade",
            "a replayed old manifest is how a fixed vulnerability comes back; remove the plugin first if intended",
        )
    target = ensure_private_dir(plugins_dir()) / manifest.id
    staging = Path(tempfile.mkdtemp(dir=plugins_dir(), prefix=f".{manifest.id}-"))
    shutil.copytree(source, staging, dirs_exist_ok=True)
    verify(staging, config.plugins.trusted_keys, max_policy(config))  # what was copied is what was verified
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    versions = _versions()
    versions[manifest.id] = manifest.version
    _versions_file().write_text(json.dumps(versions, indent=2, sort_keys=True), "utf-8")
    return manifest, signer


def installed() -> list[Path]:
    directory = plugins_dir()
    return (
        sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
        if directory.is_dir()
        else []
    )


def remove(plugin_id: str) -> bool:
    target = plugins_dir() / plugin_id
    if not target.is_dir():
        return False
    shutil.rmtree(target)
    return True  # the version stays recorded, so an older copy cannot be slipped back in


def _scratch_copy(directory: Path, manifest: PluginManifest) -> Path:
    """The plugin's files in a fresh directory the sandbox user can read, re-hashed on the way."""
    scratch = Path(tempfile.mkdtemp(prefix="codetether-plugin-"))
    for relative, digest in manifest.files.items():
        data = (directory / relative).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            shutil.rmtree(scratch, ignore_errors=True)
            raise ToolError(f"plugin {manifest.id}: {relative} changed since it was verified; not running it")
        target = scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod((directory / relative).stat().st_mode & 0o755)
    if os.geteuid() == 0:
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
    return scratch


def plugin_tool(directory: Path, manifest: PluginManifest) -> ToolDef:
    async def run(params: dict[str, Any], ctx: Any) -> ToolResult:
        scratch = _scratch_copy(directory, manifest)
        try:
            command = list(manifest.entrypoint)
            if (scratch / command[0]).is_file():
                command[0] = str(scratch / command[0])
            result = await run_in_sandbox(command, manifest.policy, scratch, env={ARGS_VARIABLE: json.dumps(params)})
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if result.limit:
            raise ToolError(f"plugin {manifest.id} was stopped by its {result.limit} limit", result.stderr[-500:])
        if result.exit_code != 0:
            raise ToolError(f"plugin {manifest.id} failed (exit {result.exit_code}): {result.stderr[-1000:]}")
        return ToolResult(output=result.stdout, metadata={"plugin": manifest.id, "version": manifest.version})

    return ToolDef(
        name=manifest.name,
        params=dict,  # type: ignore[arg-type]
        run=run,
        description=f"{manifest.description} (plugin {manifest.id} {manifest.version})",
        kind="execute",
        subject=lambda params: f"plugin:{manifest.id}",
        schema=manifest.parameters,
    )


def load_tools(config: Any, warn: Callable[[str], None]) -> list[ToolDef]:
    """A tool for every installed plugin that still verifies; the others are skipped with the reason."""
    tools = []
    for directory in installed():
        try:
            manifest, _ = verify(directory, config.plugins.trusted_keys, max_policy(config))
        except PluginError as exc:
            warn(f"plugin in {directory} not loaded: {exc}")
            continue
        tools.append(plugin_tool(directory, manifest))
    return tools
