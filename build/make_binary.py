"""Build the standalone executables with PyInstaller: a one-dir archive (fast start) and a one-file binary.

    python build/make_binary.py [--local] [--out dist] [--smoke]

Writes ``codetether-<version>-<platform>[-local].tar.gz`` (.zip on Windows; the one-dir build, a
``codetether/`` folder holding the ``codetether`` executable) and ``codetether-<version>-<platform>
[-local]`` (the one-file build, which unpacks itself to a temporary folder on every start) into
``--out``. ``--local`` adds llama-cpp-python with its shared libraries and the packaged Gemma 3 270M
model (see docs/install.md for a CUDA build). ``--smoke`` runs build/smoke.py on both results.
Needs the ``release`` extra (PyInstaller) in the environment that has CodeTether installed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import artifacts

HERE = Path(__file__).resolve().parent
WORK = artifacts.ROOT / ".build" / "pyinstaller"


def freeze(local: bool) -> Path:
    """Run the spec; returns PyInstaller's dist folder holding ``codetether/`` and ``codetether-onefile``."""
    variant = "local" if local else "default"
    dist, work = WORK / variant / "dist", WORK / variant / "work"
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(dist), "--workpath", str(work), str(HERE / "codetether.spec")]
    if local:
        command += ["--", "--local"]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=artifacts.ROOT)
    return dist


def archive_onedir(folder: Path, target: Path) -> None:
    """The one-dir build as an archive whose single top folder is ``codetether/``, written atomically."""
    tmp = target.with_name(target.name + ".tmp")
    if target.name.endswith(".zip"):
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                archive.write(path, Path("codetether", path.relative_to(folder)).as_posix())
    else:
        with tarfile.open(tmp, "w:gz", compresslevel=6) as archive:
            archive.add(folder, arcname="codetether")
    tmp.replace(target)


def make(local: bool, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    names = artifacts.names()
    suffix = "-local" if local else ""
    started = time.monotonic()
    dist = freeze(local)
    exe = ".exe" if os.name == "nt" else ""
    onefile = out / names[f"onefile{suffix}"]
    shutil.copy2(dist / f"codetether-onefile{exe}", onefile)
    onedir = out / names[f"onedir{suffix}"]
    archive_onedir(dist / "codetether", onedir)
    took = time.monotonic() - started
    folder_bytes = sum(p.stat().st_size for p in (dist / "codetether").rglob("*") if p.is_file())
    print(f"built in {took:.0f} s:")
    print(f"  {onefile} ({onefile.stat().st_size / 1e6:.1f} MB)")
    print(f"  {onedir} ({onedir.stat().st_size / 1e6:.1f} MB; {folder_bytes / 1e6:.1f} MB unpacked)")
    return {"onefile": onefile, "onedir": onedir, "onedir_exe": dist / "codetether" / f"codetether{exe}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="bundle llama-cpp-python and the packaged local model")
    parser.add_argument("--out", type=Path, default=artifacts.ROOT / "dist")
    parser.add_argument("--smoke", action="store_true", help="run build/smoke.py on both builds")
    args = parser.parse_args()
    built = make(args.local, args.out)
    if args.smoke:
        for key in ("onedir_exe", "onefile"):
            subprocess.run([sys.executable, str(HERE / "smoke.py"), str(built[key])], check=True)


if __name__ == "__main__":
    main()
