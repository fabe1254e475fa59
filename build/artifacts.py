"""Names of the release artifacts, and the version they carry, from one place.

Every script that builds, installs or checks an artifact (make_zipapp.py, make_binary.py, release.sh,
install.sh, install.ps1, the npm launcher) uses the names printed here, so a rename happens once. The
version is read from ``codetether/_version.py`` as text: building needs no importable package.

``python build/artifacts.py version|platform|NAME`` prints one value (NAME: a key of ``names()``).
"""

import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
_OS = {"linux": "linux", "darwin": "macos", "win32": "windows"}


def version() -> str:
    text = (ROOT / "codetether" / "_version.py").read_text("utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if not found:
        raise SystemExit('codetether/_version.py has no __version__ = "..." line')
    return found.group(1)


def platform_tag() -> str:
    """``linux-x86_64``, ``macos-aarch64``, ``windows-x86_64``: the same words install.sh derives from uname."""
    os_name = _OS.get(sys.platform)
    arch = _ARCH.get(platform.machine().lower())
    if not os_name or not arch:
        raise SystemExit(f"unsupported build platform: {sys.platform} {platform.machine()}")
    return f"{os_name}-{arch}"


def names(ver: str | None = None, plat: str | None = None) -> dict[str, str]:
    """Every artifact's file name for one version and platform."""
    ver, plat = ver or version(), plat or platform_tag()
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    exe = ".exe" if plat.startswith("windows") else ""
    archive = ".zip" if plat.startswith("windows") else ".tar.gz"
    return {
        # the zipapp carries native extensions built for one interpreter, hence the Python tag
        "zipapp": f"codetether-{ver}-{plat}-{py}.pyz",
        "onefile": f"codetether-{ver}-{plat}{exe}",
        "onedir": f"codetether-{ver}-{plat}{archive}",
        "onefile-local": f"codetether-{ver}-{plat}-local{exe}",
        "onedir-local": f"codetether-{ver}-{plat}-local{archive}",
    }


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "version"
    if what == "version":
        print(version())
    elif what == "platform":
        print(platform_tag())
    elif what in names():
        print(names()[what])
    else:
        print(f"unknown: {what} (version, platform, {', '.join(names())})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
