"""Build ``dist/codetether-<version>-<platform>-<python>.pyz``: one file, run by any matching ``python3``.

    python build/make_zipapp.py [--wheel dist/codetether-….whl] [--out dist]

shiv packs a wheel of this checkout and its dependencies, installed for the build platform (native
extensions included: ctcore's Cython modules, msgspec, grpc, aiohttp; the pure-Python twins ride along
as the fallback), into ``payload.pyz``. The shipped archive holds that payload (stored, not compressed
again) and build/zipapp_main.py as its ``__main__``, which extracts the payload once into a cache
folder named by version and shiv's build id (a hash of the contents) and, on every later start, runs
from there without opening any archive. shiv's own bootstrap reads the ~8,000-entry directory on each
start, which made ``--version`` ~4x slower than the installed console script.

Bytecode is compiled here, with unchecked-hash pycs, and added to the archive after shiv writes it
(shiv leaves pycs out): extraction does not keep file times, so the usual timestamp pycs would look
stale and, where PYTHONDONTWRITEBYTECODE=1 is set, every start would recompile ~2,000 modules.
Hash-based pycs are valid wherever they are unpacked, and the cache folder is keyed by build id (a
hash of the sources), so they can never outlive their sources.

ripgrep's ``rg`` (the PyPI wheel ships it as a script) is moved to ``codetether/_bin/rg``, where
``tools/ripgrep.py`` looks for a bundled copy.
"""

import argparse
import compileall
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import artifacts

ENTRY = "codetether.cli.entry:main"
CACHE_ROOT = "~/.cache/codetether-agent/pyz"
LAUNCHER = Path(__file__).with_name("zipapp_main.py")


def run(*cmd: str, **kwargs) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def build_wheel(work: Path) -> Path:
    """A wheel of this checkout with its native core (the build fails rather than ship without it)."""
    env = {**os.environ, "CODETETHER_REQUIRE_EXTENSIONS": "1"}
    out = work / "wheel"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(out),
        str(artifacts.ROOT),
        env=env,
    )
    (wheel,) = out.glob("codetether-*.whl")
    return wheel


def stage(wheel: Path, site: Path) -> None:
    """Install the wheel and its dependencies (none of the extras) into ``site``, as shiv will ship it."""
    run(sys.executable, "-m", "pip", "install", "-q", "--no-compile", "--target", str(site), str(wheel))
    scripts = site / "bin"
    bundled = site / "codetether" / "_bin"
    bundled.mkdir()
    shutil.move(scripts / "rg", bundled / "rg")
    shutil.rmtree(scripts)  # console scripts with this machine's interpreter path in their shebang
    shutil.rmtree(site / "ctcore" / "__pycache__", ignore_errors=True)
    ok = compileall.compile_dir(
        site, quiet=2, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    if not ok:  # a few test templates in dependencies are not Python 3; our own code must compile
        compileall.compile_dir(
            site / "codetether", quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        ) or sys.exit("codetether sources failed to compile")


def add_bytecode(target: Path, site: Path) -> None:
    """Append the compiled pycs under the archive's ``site-packages/``, where shiv's bootstrap extracts them."""
    with zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        stamp = archive.infolist()[0].date_time  # shiv's reproducible timestamp
        for pyc in sorted(site.rglob("*.pyc")):
            info = zipfile.ZipInfo(f"site-packages/{pyc.relative_to(site).as_posix()}", stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, pyc.read_bytes())


def wrap(payload: Path, target: Path) -> None:
    """The shipped archive: a shebang, our ``__main__.py`` and the payload, stored as it is."""
    with zipfile.ZipFile(payload) as inner:
        build_id = json.loads(inner.read("environment.json"))["build_id"]
        stamp = inner.infolist()[0].date_time
    main = LAUNCHER.read_text("utf-8")
    constants = {
        "PYTHON = (0, 0)": f"PYTHON = {tuple(sys.version_info[:2])}",
        'CACHE_NAME = "codetether-VERSION_BUILDID"': f'CACHE_NAME = "codetether-{artifacts.version()}_{build_id[:32]}"',
        'ENTRY = "package.module:function"': f'ENTRY = "{ENTRY}"',
    }
    for placeholder, value in constants.items():
        if main.count(placeholder) != 1:
            raise SystemExit(f"{LAUNCHER.name} lost its placeholder {placeholder!r}")
        main = main.replace(placeholder, value)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(b"#!/usr/bin/env python3\n")
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(zipfile.ZipInfo("__main__.py", stamp), main, zipfile.ZIP_DEFLATED)
            archive.write(payload, "payload.pyz", zipfile.ZIP_STORED)
    tmp.chmod(0o755)
    tmp.replace(target)


def make(wheel: Path | None, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / artifacts.names()["zipapp"]
    with tempfile.TemporaryDirectory(prefix="codetether-pyz-") as tmp:
        work = Path(tmp)
        wheel = wheel or build_wheel(work)
        site = work / "site-packages"
        stage(wheel, site)
        payload = work / "payload.pyz"
        run(
            sys.executable, "-m", "shiv", "--site-packages", str(site), "-e", ENTRY, "-o", str(payload),
            "--root", CACHE_ROOT, "--reproducible",
        )  # fmt: skip
        add_bytecode(payload, site)
        wrap(payload, target)
    print(f"built {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a built codetether wheel (default: build one from this checkout)")
    parser.add_argument("--out", type=Path, default=artifacts.ROOT / "dist")
    args = parser.parse_args()
    make(args.wheel, args.out)


if __name__ == "__main__":
    main()
