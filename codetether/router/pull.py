"""Downloading the router's model (``codetether models pull functiongemma``), verified by SHA-256.

The file is written to a hidden ``.part`` file beside its destination and renamed into place only
when every byte arrived and the hash matches, so an interrupted or tampered download never leaves a
file that the router would load. Offline, the error says how to use a file copied by other means.
"""

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import msgspec

from ..errors import CodetetherError
from ..paths import ensure_private_dir

CHUNK = 1 << 20


class ModelSource(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    url: str
    sha256: str
    filename: str
    size: int | None = None  # bytes, when pinned: a larger download is refused as it arrives


# FunctionGemma 270M (Google's function-calling fine-tune of Gemma 3 270M) as Unsloth's Q4_K_M GGUF.
# Size and SHA-256 as published for that file; pass --url/--sha256 to use another build or mirror.
SOURCES = {
    "functiongemma": ModelSource(
        name="functiongemma",
        url="https://huggingface.co/unsloth/functiongemma-270m-it-GGUF/resolve/main/functiongemma-270m-it-Q4_K_M.gguf",
        sha256="7474135cf63b5de86bd29d2feb92c644d48e9df5e1ac31550662af373c67d0fc",
        filename="functiongemma-270m-it-Q4_K_M.gguf",
        size=253127904,
    )
}


class PullError(CodetetherError):
    """A model download failed; nothing was left behind."""


def models_dir(data_dir: Path) -> Path:
    return data_dir / "models"


def pulled_model(data_dir: Path, name: str = "functiongemma") -> Path:
    """Where ``models pull NAME`` puts its file (the router's default model once it is there)."""
    return models_dir(data_dir) / SOURCES[name].filename


def installed_model(data_dir: Path) -> Path | None:
    """The FunctionGemma GGUF in the data dir: the pulled file, else one install.sh put there."""
    pulled = pulled_model(data_dir)
    if pulled.is_file():
        return pulled
    return next(iter(sorted(models_dir(data_dir).glob("functiongemma-*.gguf"))), None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def offline_hint(source: ModelSource) -> str:
    return (
        f"without a network, fetch {source.url} on another machine, copy it here and set "
        "CODETETHER_TOOL_ROUTER_MODEL_PATH=/path/to/the.gguf (or tool_router.model_path in the config)"
    )


def pull(
    source: ModelSource,
    destination: Path,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float = 30.0,
) -> tuple[Path, bool]:
    """Download ``source`` to ``destination`` (a file path); returns (path, downloaded). A file already
    there with the right hash is kept (downloaded False)."""
    if not source.url.startswith(("https://", "http://")):
        raise PullError(f"cannot download {source.url!r}: only http(s) URLs", "pass an https:// URL with --url")
    expected = source.sha256.lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise PullError(f"{source.sha256!r} is not a SHA-256 (64 hex digits)", "pass the file's hash with --sha256")
    if destination.is_file() and file_sha256(destination) == expected:
        return destination, False
    ensure_private_dir(destination.parent)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.part")
    try:
        received = _fetch(source, partial, progress, timeout)
        actual = file_sha256(partial)
        if actual != expected:
            raise PullError(
                f"the download of {source.name} is corrupt or not the pinned file: SHA-256 {actual}, "
                f"expected {expected} ({received} bytes); nothing was kept",
                "try again; if it persists, the mirror serves another file (pass --sha256 only if you trust it)",
            )
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination, True


def _fetch(source: ModelSource, partial: Path, progress, timeout: float) -> int:
    request = urllib.request.Request(source.url, headers={"User-Agent": "codetether-agent"})
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, partial.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else source.size
            while chunk := response.read(CHUNK):
                received += len(chunk)
                if source.size is not None and received > source.size:
                    raise PullError(
                        f"the server sent more than the {source.size} bytes {source.name} has; stopped",
                        "the URL serves another file: check --url",
                    )
                out.write(chunk)
                if progress is not None:
                    progress(received, total)
            if total is not None and length and received != total:
                raise PullError(
                    f"the download of {source.name} was cut off after {received} of {total} bytes; nothing was kept",
                    "run the command again",
                )
    except urllib.error.HTTPError as exc:
        raise PullError(f"{source.url} answered HTTP {exc.code}", offline_hint(source)) from exc
    except urllib.error.URLError as exc:
        raise PullError(f"cannot reach {source.url}: {exc.reason}", offline_hint(source)) from exc
    except (http.client.HTTPException, ConnectionError, TimeoutError) as exc:
        raise PullError(
            f"the download of {source.name} was cut off after {received} bytes ({type(exc).__name__}); "
            "nothing was kept",
            "run the command again; " + offline_hint(source),
        ) from exc
    return received
