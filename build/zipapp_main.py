"""The zipapp's ``__main__``: run CodeTether from its extracted copy, extracting it on the first run only.

This file is the template build/make_zipapp.py fills in (the three constants below); the built archive holds it
as ``__main__.py`` beside ``payload.pyz``, the shiv archive of the package and its dependencies.
It stands in for shiv's own bootstrap, which opens the archive's ~8,000 entries with zipfile on every
start (~40 ms, on top of the ~40 ms Python's zipimport spends reading the same directory): here the
outer archive has two entries, and a start that finds its cache folder reads no archive at all.

The cache folder is ``$SHIV_ROOT`` or ``~/.cache/codetether-agent/pyz``, then ``CACHE_NAME``
(version and build id: a new build never reuses an old extraction). Extraction goes to a private
temporary folder renamed into place, so concurrent first runs never see half a tree.
"""

import os
import shutil
import site
import sys
import tempfile
import zipfile
from pathlib import Path

PYTHON = (0, 0)  # the interpreter the bundled extensions were built for
CACHE_NAME = "codetether-VERSION_BUILDID"
ENTRY = "package.module:function"


def _cache() -> Path:
    root = os.environ.get("SHIV_ROOT") or os.path.join(os.path.expanduser("~"), ".cache", "codetether-agent", "pyz")
    return Path(root, CACHE_NAME)


def _extract(target: Path) -> None:
    archive = Path(__file__).resolve().parent  # .../codetether-….pyz/__main__.py -> the archive itself
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{CACHE_NAME}.", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as outer, outer.open("payload.pyz") as src, open(work / "payload", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        with zipfile.ZipFile(work / "payload") as payload:
            for info in payload.infolist():
                if info.filename.startswith("site-packages/"):
                    path = payload.extract(info, work)
                    os.chmod(path, (info.external_attr >> 16) or 0o644)
        os.unlink(work / "payload")
        try:
            os.rename(work, target)  # atomic; fails when a concurrent first run got there first
        except OSError:
            if not (target / "site-packages").is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    if sys.version_info[:2] != PYTHON:
        sys.stderr.write(
            f"codetether: this zipapp was built for Python {PYTHON[0]}.{PYTHON[1]} (it bundles native "
            f"extensions); this is Python {sys.version_info[0]}.{sys.version_info[1]}. Run it with "
            f"python{PYTHON[0]}.{PYTHON[1]}, or use the standalone binary (install.sh) or `pipx run codetether`.\n"
        )
        raise SystemExit(2)
    cache = _cache()
    packages = cache / "site-packages"
    if not packages.is_dir():
        try:
            _extract(cache)
        except OSError as exc:
            sys.stderr.write(f"codetether: cannot unpack into {cache}: {exc}; set SHIV_ROOT to a writable folder\n")
            raise SystemExit(1) from None
    sys.path.insert(0, str(packages))
    site.addsitedir(str(packages))  # .pth files, as an installed environment would process them
    module, _, function = ENTRY.partition(":")
    __import__(module)
    raise SystemExit(getattr(sys.modules[module], function)())


main()
