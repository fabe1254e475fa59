"""The plugin manifest, its canonical encoding, and Ed25519 signing and verification.

The signature covers the canonical encoding (JSON, keys sorted at every level) of the whole manifest,
including the SHA-256 of every file, so changing the manifest or any file it lists breaks it.
"""

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import msgspec

from ..errors import CodetetherError
from ..security.sandbox import SandboxPolicy

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_ID = re.compile(r"[a-z0-9][a-z0-9.-]{1,63}")
_NAME = re.compile(r"[a-z][a-z0-9_]{1,47}")
_VERSION = re.compile(r"\d+(\.\d+){0,3}")


class PluginError(CodetetherError):
    """A plugin is unsigned, untrusted, tampered with, or asks for more than it may have."""


class PluginManifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    name: str
    version: str
    description: str
    entrypoint: list[str]
    parameters: dict[str, Any] = msgspec.field(default_factory=lambda: {"type": "object", "properties": {}})
    capabilities: list[str] = []
    policy: SandboxPolicy = msgspec.field(default_factory=SandboxPolicy)
    files: dict[str, str] = {}

    def check(self) -> None:
        if not _ID.fullmatch(self.id):
            raise PluginError(f"plugin id {self.id!r} is invalid: lowercase letters, digits, '.' and '-'")
        if not _NAME.fullmatch(self.name):
            raise PluginError(f"tool name {self.name!r} is invalid: lowercase letters, digits and '_'")
        if not _VERSION.fullmatch(self.version):
            raise PluginError(f"version {self.version!r} is invalid: use numbers such as 1.2.3")
        if not self.entrypoint:
            raise PluginError("the manifest has no entrypoint")
        if self.parameters.get("type") != "object":
            raise PluginError("parameters must be a JSON Schema with type object")
        for path in self.files:
            if path.startswith("/") or ".." in Path(path).parts:
                raise PluginError(f"file path {path!r} must stay inside the plugin directory")

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.version)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


class Signature(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    signer: str  # base64 Ed25519 public key
    signature: str  # base64 signature over the canonical manifest


def canonical(manifest: PluginManifest) -> bytes:
    return msgspec.json.encode(manifest, order="sorted")


def hash_files(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under ``directory`` except the manifest and its signature."""
    hashes = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative not in (MANIFEST, SIGNATURE):
            hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def read_manifest(directory: Path) -> PluginManifest:
    try:
        manifest = msgspec.json.decode((directory / MANIFEST).read_bytes(), type=PluginManifest)
    except FileNotFoundError as exc:
        raise PluginError(f"{directory} has no {MANIFEST}") from exc
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PluginError(f"{directory / MANIFEST} is not a valid manifest: {exc}") from exc
    manifest.check()
    return manifest


def generate_key() -> tuple[str, str]:
    """(private key, public key), both base64."""
    from nacl.signing import SigningKey

    key = SigningKey.generate()
    return base64.b64encode(bytes(key)).decode(), base64.b64encode(bytes(key.verify_key)).decode()


def sign(directory: Path, private_key: str) -> PluginManifest:
    """Record every file's hash in the manifest and write the detached signature."""
    from nacl.signing import SigningKey

    manifest = read_manifest(directory)
    manifest.files = hash_files(directory)
    try:
        key = SigningKey(base64.b64decode(private_key, validate=True))
    except Exception as exc:
        raise PluginError(f"the signing key is not a base64 Ed25519 private key ({exc})") from exc
    (directory / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
    signature = Signature(
        signer=base64.b64encode(bytes(key.verify_key)).decode(),
        signature=base64.b64encode(key.sign(canonical(manifest)).signature).decode(),
    )
    (directory / SIGNATURE).write_bytes(msgspec.json.encode(signature))
    return manifest


def verify(directory: Path, trusted: dict[str, str], max_policy: SandboxPolicy) -> tuple[PluginManifest, str]:
    """(manifest, name of the trusted signer), or PluginError saying exactly what is wrong."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    manifest = read_manifest(directory)
    try:
        signature = msgspec.json.decode((directory / SIGNATURE).read_bytes(), type=Signature)
    except FileNotFoundError as exc:
        raise PluginError(f"plugin {manifest.id} is unsigned (no {SIGNATURE})") from exc
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PluginError(f"plugin {manifest.id} has an unreadable signature: {exc}") from exc
    signer = next((name for name, key in trusted.items() if key == signature.signer), None)
    if signer is None:
        raise PluginError(
            f"plugin {manifest.id} is signed by an unknown key {signature.signer[:16]}…",
            "add the publisher's public key under [plugins] trusted_keys if you trust it",
        )
    try:
        VerifyKey(base64.b64decode(signature.signer)).verify(canonical(manifest), base64.b64decode(signature.signature))
    except (BadSignatureError, ValueError) as exc:
        raise PluginError(f"plugin {manifest.id}: bad signature (the manifest was changed after signing)") from exc
    actual = hash_files(directory)
    for path, digest in manifest.files.items():
        if actual.get(path) != digest:
            raise PluginError(f"plugin {manifest.id}: file {path} does not match its signed hash")
    extra = sorted(set(actual) - set(manifest.files))
    if extra:
        raise PluginError(f"plugin {manifest.id}: unsigned files present: {', '.join(extra)}")
    _within(manifest, max_policy)
    return manifest, signer


def _within(manifest: PluginManifest, allowed: SandboxPolicy) -> None:
    asked = manifest.policy
    for name in ("max_memory_mb", "max_cpu_seconds", "max_wall_seconds", "max_processes", "max_file_size_mb"):
        if getattr(asked, name) > getattr(allowed, name):
            raise PluginError(
                f"plugin {manifest.id} asks for {name} = {getattr(asked, name)}, more than the "
                f"{getattr(allowed, name)} allowed",
                "raise the limit under [plugins] in the config if you accept it",
            )
    if asked.network == "allow" and allowed.network != "allow":
        raise PluginError(f"plugin {manifest.id} asks for network access, which the plugin policy denies")
    if "network" in manifest.capabilities and asked.network != "allow":
        raise PluginError(f"plugin {manifest.id} declares the network capability but its policy denies network")
