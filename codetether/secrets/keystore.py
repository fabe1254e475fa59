"""The local keystore: one JSON file in the data dir, mode 0600, replaced atomically on write.

It refuses to read a file that other users can read or that another user owns: a key that
may already have leaked should be rotated, not silently used.
"""

import os
import stat
import tempfile
from pathlib import Path

import msgspec

from ..errors import KeystoreError
from ..paths import data_dir, ensure_private_dir

FORMAT_VERSION = 1


class StoredCredential(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    api_key: str | None = None
    base_url: str | None = None
    organization: str | None = None
    headers: dict[str, str] = {}


class _KeystoreFile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: int = FORMAT_VERSION
    providers: dict[str, StoredCredential] = {}


def default_path() -> Path:
    return data_dir() / "keystore.json"


class Keystore:
    """Read and write provider credentials in a private file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def _check_permissions(self, info: os.stat_result) -> None:
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise KeystoreError(
                f"keystore {self.path} belongs to another user (uid {info.st_uid})",
                f"remove it, or fix ownership with `chown {os.geteuid()} {self.path}`",
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise KeystoreError(
                f"keystore {self.path} is readable or writable by others (mode {mode:04o}); refusing to use it",
                f"run `chmod 600 {self.path}` and rotate any key that may have been exposed",
            )

    def _load(self) -> _KeystoreFile:
        try:
            with open(self.path, "rb") as fh:
                self._check_permissions(os.fstat(fh.fileno()))
                raw = fh.read()
        except FileNotFoundError:
            return _KeystoreFile()
        except PermissionError as exc:
            raise KeystoreError(
                f"cannot read keystore {self.path}: permission denied",
                "run codetether as the user who owns it, or remove it and log in again",
            ) from exc
        except IsADirectoryError as exc:
            raise KeystoreError(f"keystore {self.path} is a directory", "move it aside") from exc
        try:
            store = msgspec.json.decode(raw, type=_KeystoreFile)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise KeystoreError(
                f"keystore {self.path} is corrupt ({exc})",
                "move it aside and run `codetether auth login PROVIDER` again",
            ) from exc
        if store.version != FORMAT_VERSION:
            raise KeystoreError(
                f"keystore {self.path} has format version {store.version}; this codetether reads {FORMAT_VERSION}",
                "upgrade codetether",
            )
        return store

    def _save(self, store: _KeystoreFile) -> None:
        directory = ensure_private_dir(self.path.parent)
        # mkstemp creates the file 0600, so the key is never on disk with wider permissions.
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".keystore-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(msgspec.json.format(msgspec.json.encode(store), indent=2))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def get(self, provider: str) -> StoredCredential | None:
        return self._load().providers.get(provider)

    def providers(self) -> list[str]:
        return sorted(self._load().providers)

    def put(self, provider: str, credential: StoredCredential) -> None:
        store = self._load()
        store.providers[provider] = credential
        self._save(store)

    def delete(self, provider: str) -> bool:
        store = self._load()
        if store.providers.pop(provider, None) is None:
            return False
        self._save(store)
        return True
