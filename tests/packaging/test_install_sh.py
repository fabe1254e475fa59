"""install.sh end to end, run by POSIX sh (dash here) against a loopback artifact server, in a temp HOME."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import RELEASE_DIR, ROOT, artifacts
from tests.packaging.release_server import MODEL, ArtifactServer, add_release, clean_env, corrupt

SCRIPT = ROOT / "install.sh"
PLATFORM = artifacts.platform_tag()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def release(tmp_path: Path) -> Path:
    folder = tmp_path / "release"
    add_release(folder, "1.0.0", PLATFORM)
    return folder


def install(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(SCRIPT), *args], env=clean_env(home, **env), capture_output=True, text=True, timeout=120
    )


def link(home: Path) -> Path:
    return home / ".local" / "bin" / "codetether"


def installed_versions(home: Path) -> list[str]:
    root = home / ".local" / "lib" / "codetether"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def run_installed(home: Path, *args: str) -> str:
    return subprocess.run([str(link(home)), *args], capture_output=True, text=True, check=True).stdout


def test_fresh_install_then_rerun_is_current(home: Path, release: Path):
    with ArtifactServer(release) as server:
        first = install(home, "--from", server.url)
        assert first.returncode == 0, first.stderr
        assert f"installed codetether 1.0.0 ({link(home)} ->" in first.stdout
        assert link(home).is_symlink() and run_installed(home, "--version") == "codetether 1.0.0\n"
        assert run_installed(home, "run", "hi") == "codetether 1.0.0 ran with: run hi\n"
        assert installed_versions(home) == ["1.0.0"]
        models = home / ".local" / "share" / "codetether-agent"
        assert (models / "models" / MODEL).read_bytes() == (release / MODEL).read_bytes()
        assert oct(models.stat().st_mode & 0o777) == "0o700"  # the app's data dir stays private
        assert "add " + str(home / ".local" / "bin") + " to your PATH" in first.stdout
        assert "next: cd into a project" in first.stdout

        before = os.lstat(link(home))
        server.requests.clear()
        again = install(home, "--from", server.url)
        assert again.returncode == 0, again.stderr
        assert "codetether 1.0.0 is already installed and current" in again.stdout
        assert "the FunctionGemma model is already in" in again.stdout
        assert server.requests == ["/SHA256SUMS"]  # nothing downloaded again
        assert os.lstat(link(home)).st_ino == before.st_ino


def test_upgrade_switches_the_link_and_removes_the_old_version(home: Path, release: Path):
    with ArtifactServer(release) as server:
        assert install(home, "--from", server.url, "--no-functiongemma").returncode == 0
        add_release(release, "1.10.0", PLATFORM, model=False)  # 1.10 > 1.9 > 1.2: numeric, not text order
        add_release(release, "1.9.0", PLATFORM, model=False)
        upgraded = install(home, "--from", server.url, "--no-functiongemma")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded to codetether 1.10.0" in upgraded.stdout
    assert run_installed(home, "--version") == "codetether 1.10.0\n"
    assert installed_versions(home) == ["1.10.0"]


def test_a_chosen_version_and_a_folder_source(home: Path, release: Path):
    add_release(release, "1.1.0", PLATFORM, model=False)
    done = install(home, "--from", str(release), "--version", "1.0.0", "--no-functiongemma")
    assert done.returncode == 0, done.stderr
    assert run_installed(home, "--version") == "codetether 1.0.0\n"
    missing = install(home, "--from", str(release), "--version", "2.0.0")
    assert missing.returncode == 1
    assert "version 2.0.0 for " + PLATFORM + " is not in" in missing.stderr and "1.0.0 1.1.0" in missing.stderr


def test_a_corrupted_artifact_is_refused_and_nothing_is_installed(home: Path, release: Path):
    corrupt(release / f"codetether-1.0.0-{PLATFORM}.tar.gz")
    with ArtifactServer(release) as server:
        done = install(home, "--from", server.url)
    assert done.returncode == 1
    assert "checksum mismatch for codetether-1.0.0-" in done.stderr and "nothing was installed" in done.stderr
    assert not link(home).exists() and not link(home).is_symlink()
    assert installed_versions(home) == []
    assert not (home / ".local" / "share" / "codetether-agent").exists()


def test_a_corrupted_upgrade_leaves_the_working_install_alone(home: Path, release: Path):
    with ArtifactServer(release) as server:
        assert install(home, "--from", server.url, "--no-functiongemma").returncode == 0
        add_release(release, "1.1.0", PLATFORM, model=False)
        corrupt(release / f"codetether-1.1.0-{PLATFORM}.tar.gz")
        done = install(home, "--from", server.url, "--no-functiongemma")
    assert done.returncode == 1 and "checksum mismatch" in done.stderr
    assert run_installed(home, "--version") == "codetether 1.0.0\n" and installed_versions(home) == ["1.0.0"]


def test_a_binary_that_does_not_run_here_is_not_installed(home: Path, tmp_path: Path):
    release = tmp_path / "broken"
    add_release(release, "1.0.0", PLATFORM, broken=True)
    done = install(home, "--from", str(release), "--no-functiongemma")
    assert done.returncode == 1 and "the unpacked binary does not run here" in done.stderr
    assert installed_versions(home) == [] and not link(home).is_symlink()


@pytest.mark.parametrize(
    ("uname_s", "uname_m", "message"),
    [
        ("FreeBSD", "amd64", "unsupported platform: FreeBSD amd64"),
        ("Linux", "riscv64", "unsupported platform: Linux riscv64"),
        ("MINGW64_NT-10.0", "x86_64", "on Windows run install.ps1"),
    ],
)
def test_unsupported_platform(home: Path, release: Path, uname_s: str, uname_m: str, message: str):
    done = install(home, "--from", str(release), CODETETHER_UNAME_S=uname_s, CODETETHER_UNAME_M=uname_m)
    assert done.returncode == 1 and message in done.stderr
    assert done.stderr.count("\n") == 1  # one line
    assert list(home.iterdir()) == []


def test_a_platform_the_release_has_no_build_for(home: Path, release: Path):
    other = "aarch64" if PLATFORM.endswith("x86_64") else "x86_64"
    done = install(home, "--from", str(release), CODETETHER_UNAME_M=other)
    assert done.returncode == 1 and f"has no build for {PLATFORM.split('-')[0]}-{other}" in done.stderr


def test_no_write_access(home: Path, release: Path, tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = install(home, "--from", str(release), "--bin-dir", str(blocker / "bin"))
    assert done.returncode == 1 and f"cannot create {blocker / 'bin'} (no write access?)" in done.stderr
    assert installed_versions(home) == []


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_no_write_access_as_an_unprivileged_user(tmp_path: Path, release: Path):
    """As `nobody` with a HOME owned by root: the real permission error, not a simulated one."""
    home = tmp_path / "roots-home"
    home.mkdir(mode=0o755)
    command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", str(SCRIPT)]
    with ArtifactServer(release) as server:
        done = subprocess.run(
            [*command, "--from", server.url], env=clean_env(home, TMPDIR="/tmp"), capture_output=True, text=True
        )
    assert done.returncode == 1
    assert f"cannot create {home / '.local' / 'bin'} (no write access?)" in done.stderr
    assert list(home.iterdir()) == []


def test_a_file_in_the_way_is_not_overwritten(home: Path, release: Path):
    link(home).parent.mkdir(parents=True)
    link(home).write_text("#!/bin/sh\necho pip's script\n")
    done = install(home, "--from", str(release))
    assert done.returncode == 1 and "is not a link this installer made" in done.stderr
    assert link(home).read_text() == "#!/bin/sh\necho pip's script\n"


def test_unknown_option_and_help(home: Path):
    bad = install(home, "--frm", "x")
    assert bad.returncode == 1 and bad.stderr == "codetether-install: error: unknown option --frm (see --help)\n"
    helped = install(home, "--help")
    assert helped.returncode == 0 and "--no-functiongemma" in helped.stdout


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed (.ci/run installs it)")
def test_shellcheck_posix_sh():
    done = subprocess.run(["shellcheck", "-s", "sh", str(SCRIPT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.skipif(not RELEASE_DIR, reason="set CODETETHER_RELEASE_DIR to dist/")
def test_installs_the_real_release(home: Path):
    """After build/release.sh: the real one-dir build, installed and run."""
    done = install(home, "--from", RELEASE_DIR, "--no-functiongemma")
    assert done.returncode == 0, done.stderr
    assert run_installed(home, "--version") == f"codetether {artifacts.version()}\n"
