"""A loopback artifact server and fake releases for the install-script and npm-launcher tests.

A release folder holds what build/release.sh writes: artifacts plus ``SHA256SUMS``. The "binary"
in these releases is a small shell program that answers ``--version`` like the real one and echoes
its arguments otherwise, so the installers' logic (choose, download, verify, unpack, link, upgrade,
refuse) is tested in seconds; tests that set CODETETHER_RELEASE_DIR install the real build.
"""

import hashlib
import http.server
import io
import os
import stat
import tarfile
import threading
from pathlib import Path

from tests.packaging.conftest import artifacts

PROGRAM = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "codetether {version}"; exit 0; fi
if [ "$1" = "exit" ]; then exit "$2"; fi
echo "codetether {version} ran with: $*"
"""
MODEL = "functiongemma-270m-it-Q4_K_M.gguf"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def program(version: str, broken: bool = False) -> bytes:
    return b"#!/bin/sh\nexit 9\n" if broken else PROGRAM.format(version=version).encode()


def onedir_archive(version: str, broken: bool = False) -> bytes:
    """A .tar.gz shaped like the PyInstaller one-dir archive: ``codetether/codetether`` and a library."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data, mode in (
            ("codetether/codetether", program(version, broken), 0o755),
            ("codetether/_internal/libpython-stand-in.so", b"\0" * 64, 0o644),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def add_release(folder: Path, version: str, platform: str, *, model: bool = True, broken: bool = False) -> None:
    """Add one version's artifacts to ``folder`` and list them (with what was there) in SHA256SUMS."""
    folder.mkdir(parents=True, exist_ok=True)
    names = artifacts.names(version, platform)  # the names build/release.sh gives them
    files = {
        names["onedir"]: onedir_archive(version, broken),  # install.sh, the npm launcher
        names["onefile"]: program(version, broken),
    }
    if model:
        files[MODEL] = b"GGUF" + version.encode() * 64
    for name, data in files.items():
        (folder / name).write_bytes(data)
        if not name.endswith((".gguf", ".tar.gz")):
            (folder / name).chmod(0o755)
    write_sums(folder)


def write_sums(folder: Path) -> None:
    lines = [f"{sha256(p.read_bytes())}  {p.name}\n" for p in sorted(folder.iterdir()) if p.name != "SHA256SUMS"]
    (folder / "SHA256SUMS").write_text("".join(lines))


def corrupt(path: Path) -> None:
    """Change the file's bytes after SHA256SUMS was written (a bad mirror, a truncated download)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    mode = stat.S_IMODE(path.stat().st_mode)
    path.write_bytes(bytes(data))
    path.chmod(mode)


class ArtifactServer:
    """``http.server`` on 127.0.0.1 serving one folder; ``requests`` lists the paths asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(outer.folder), **kwargs)

            def log_message(self, format, *args):  # keep the test output clean; record instead
                outer.requests.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ArtifactServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A login-like environment: nothing from this venv, no CodeTether variables."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    env.update(extra)
    return env
