"""The npm launcher, packed with `npm pack` and run through `npx` from that tarball, against a loopback
artifact server: download, checksum, cache, argument and exit-code pass-through, refusal of a bad sum."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import RELEASE_DIR, ROOT, artifacts
from tests.packaging.release_server import ArtifactServer, add_release, clean_env, corrupt

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are needed (.ci/run installs them)",
)
PACKAGE = ROOT / "npm" / "codetether"
PLATFORM = artifacts.platform_tag()
VERSION = artifacts.version()


def test_the_package_version_is_the_project_version():
    assert json.loads((PACKAGE / "package.json").read_text())["version"] == VERSION


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("npm-pack")
    env = {**os.environ, "npm_config_cache": str(out / "npm-cache"), "npm_config_update_notifier": "false"}
    done = subprocess.run(
        ["npm", "pack", "--pack-destination", str(out), str(PACKAGE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (packed,) = out.glob("codetether-*.tgz")
    return packed


def npx(tarball: Path, home: Path, base: str, *args: str) -> subprocess.CompletedProcess:
    env = clean_env(
        home,
        CODETETHER_DOWNLOAD_BASE=base,
        npm_config_cache=str(home / ".npm"),
        npm_config_offline="true",  # a local tarball with no dependencies: the registry is never needed
        npm_config_update_notifier="false",
        npm_config_fund="false",
        npm_config_audit="false",
    )
    command = ["npx", "--yes", f"--package={tarball}", "codetether", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)


def cached(home: Path) -> Path:
    return home / ".cache" / "codetether-agent" / "npm" / VERSION


def test_downloads_verifies_caches_and_runs(tarball: Path, tmp_path: Path):
    release = tmp_path / "release"
    add_release(release, VERSION, PLATFORM)
    home = tmp_path / "user"
    home.mkdir()
    with ArtifactServer(release) as server:
        first = npx(tarball, home, server.url, "--version")
        assert first.returncode == 0, first.stderr
        assert first.stdout == f"codetether {VERSION}\n"
        assert f"downloading codetether-{VERSION}-{PLATFORM}.tar.gz" in first.stderr
        assert server.requests == ["/SHA256SUMS", f"/codetether-{VERSION}-{PLATFORM}.tar.gz"]
        assert (cached(home) / "codetether" / "_internal" / "libpython-stand-in.so").is_file()
        assert [p.name for p in cached(home).iterdir()] == ["codetether"]  # no partial folder left

        server.requests.clear()
        again = npx(tarball, home, server.url, "run", "a task with spaces")
        assert again.returncode == 0, again.stderr
        assert again.stdout == f"codetether {VERSION} ran with: run a task with spaces\n"
        assert server.requests == [] and "downloading" not in again.stderr

        assert npx(tarball, home, server.url, "exit", "7").returncode == 7


def test_a_folder_source(tarball: Path, tmp_path: Path):
    release = tmp_path / "release"
    add_release(release, VERSION, PLATFORM, model=False)
    home = tmp_path / "user"
    home.mkdir()
    done = npx(tarball, home, str(release), "--version")
    assert done.returncode == 0 and done.stdout == f"codetether {VERSION}\n", done.stderr


def test_refuses_a_bad_checksum_and_keeps_nothing(tarball: Path, tmp_path: Path):
    release = tmp_path / "release"
    add_release(release, VERSION, PLATFORM, model=False)
    corrupt(release / f"codetether-{VERSION}-{PLATFORM}.tar.gz")
    home = tmp_path / "user"
    home.mkdir()
    with ArtifactServer(release) as server:
        done = npx(tarball, home, server.url, "--version")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"codetether: checksum mismatch for codetether-{VERSION}-{PLATFORM}.tar.gz (expected ")
    assert last.endswith("refusing to run it")
    assert not cached(home).exists() or list(cached(home).iterdir()) == []


def test_a_release_without_this_platform(tarball: Path, tmp_path: Path):
    release = tmp_path / "release"
    add_release(release, VERSION, "plan9-mips", model=False)
    home = tmp_path / "user"
    home.mkdir()
    done = npx(tarball, home, str(release), "--version")
    assert done.returncode == 1
    assert f"the release's SHA256SUMS does not list codetether-{VERSION}-{PLATFORM}.tar.gz" in done.stderr


@pytest.mark.skipif(not RELEASE_DIR, reason="set CODETETHER_RELEASE_DIR to dist/")
def test_runs_the_real_release(tarball: Path, tmp_path: Path):
    home = tmp_path / "user"
    home.mkdir()
    done = npx(tarball, home, RELEASE_DIR, "--version")
    assert done.returncode == 0 and done.stdout == f"codetether {VERSION}\n", done.stderr
