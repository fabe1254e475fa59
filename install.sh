#!/bin/sh
# Install the CodeTether standalone binary for this user (Linux and macOS; Windows: install.ps1).
#
#   curl -fsSL https://github.com/codetether/codetether/releases/latest/download/install.sh | sh
#   sh install.sh [--from DIR|URL] [--version X.Y.Z] [--bin-dir DIR] [--no-functiongemma]
#
# It reads the release's SHA256SUMS, downloads the one-dir build for this platform
# (codetether-<version>-<os>-<arch>.tar.gz), checks its SHA-256, unpacks it into a temporary folder,
# runs the unpacked binary's --version, and only then renames it into ~/.local/lib/codetether/<version>
# and points ~/.local/bin/codetether at it (a link swapped by rename). Any failure before that
# leaves the previous install exactly as it was. A second run says the install is current, or upgrades.
# With the release's FunctionGemma GGUF listed in SHA256SUMS it is fetched (and checked) into the
# data dir for the local tool-call router, unless --no-functiongemma.
#
# Environment: CODETETHER_DOWNLOAD_BASE (artifact source, like --from), CODETETHER_INSTALL_DIR
# (default ~/.local/lib/codetether), XDG_DATA_HOME. CODETETHER_UNAME_S and CODETETHER_UNAME_M stand
# in for `uname -s` / `uname -m` (tests).
set -eu

DEFAULT_BASE="https://github.com/codetether/codetether/releases/latest/download"
SOURCE="${CODETETHER_DOWNLOAD_BASE:-$DEFAULT_BASE}"
WANT_VERSION=""
BIN_DIR="${HOME}/.local/bin"
INSTALL_ROOT="${CODETETHER_INSTALL_DIR:-${HOME}/.local/lib/codetether}"
MODELS_DIR="${XDG_DATA_HOME:-${HOME}/.local/share}/codetether-agent/models"
FUNCTIONGEMMA=1
WORK=""

say() { printf 'codetether-install: %s\n' "$*"; }
die() {
    printf 'codetether-install: error: %s\n' "$*" >&2
    exit 1
}
cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

usage() {
    cat <<'EOF'
Install the CodeTether standalone binary into ~/.local/bin.

  sh install.sh [options]

  --from DIR|URL       where the release artifacts and SHA256SUMS are (default: the latest release)
  --version X.Y.Z      install this version (default: the one the source's SHA256SUMS lists)
  --bin-dir DIR        where the `codetether` link goes (default: ~/.local/bin)
  --no-functiongemma   do not download the FunctionGemma model (~292 MB) for the tool-call router
  -h, --help           this help
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --from) [ $# -ge 2 ] || die "--from needs a folder or URL"; SOURCE="$2"; shift 2 ;;
        --from=*) SOURCE="${1#--from=}"; shift ;;
        --version) [ $# -ge 2 ] || die "--version needs a version"; WANT_VERSION="$2"; shift 2 ;;
        --version=*) WANT_VERSION="${1#--version=}"; shift ;;
        --bin-dir) [ $# -ge 2 ] || die "--bin-dir needs a folder"; BIN_DIR="$2"; shift 2 ;;
        --bin-dir=*) BIN_DIR="${1#--bin-dir=}"; shift ;;
        --no-functiongemma) FUNCTIONGEMMA=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

# --- platform ------------------------------------------------------------------------------------
os_name="${CODETETHER_UNAME_S:-$(uname -s)}"
arch_name="${CODETETHER_UNAME_M:-$(uname -m)}"
case "$os_name" in
    Linux) os_tag=linux ;;
    Darwin) os_tag=macos ;;
    MINGW* | MSYS* | CYGWIN* | Windows*) die "unsupported platform: $os_name; on Windows run install.ps1 in PowerShell" ;;
    *) die "unsupported platform: $os_name $arch_name (binaries exist for Linux and macOS; elsewhere: pipx install codetether)" ;;
esac
case "$arch_name" in
    x86_64 | amd64) arch_tag=x86_64 ;;
    aarch64 | arm64) arch_tag=aarch64 ;;
    *) die "unsupported platform: $os_name $arch_name (binaries exist for x86_64 and arm64; elsewhere: pipx install codetether)" ;;
esac
PLATFORM="$os_tag-$arch_tag"

# --- tools ---------------------------------------------------------------------------------------
if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
    sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
    die "neither sha256sum nor shasum is installed: the download cannot be verified"
fi
command -v tar >/dev/null 2>&1 || die "tar is not installed"

# fetch NAME DEST: copy one artifact from the source (a folder, file:// or http(s):// URL) to DEST.
fetch() {
    case "$SOURCE" in
        http://* | https://*)
            if command -v curl >/dev/null 2>&1; then
                curl -fsSL --retry 2 -o "$2" "${SOURCE%/}/$1" || die "cannot download ${SOURCE%/}/$1"
            elif command -v wget >/dev/null 2>&1; then
                wget -q -O "$2" "${SOURCE%/}/$1" || die "cannot download ${SOURCE%/}/$1"
            else
                die "neither curl nor wget is installed (or use --from DIR with downloaded artifacts)"
            fi
            ;;
        file://*) cp "${SOURCE#file://}/$1" "$2" 2>/dev/null || die "cannot read ${SOURCE#file://}/$1" ;;
        *://*) die "unsupported source $SOURCE (use a folder, file://, http:// or https://)" ;;
        *) cp "$SOURCE/$1" "$2" 2>/dev/null || die "cannot read $SOURCE/$1" ;;
    esac
}

# verify FILE NAME: the file's SHA-256 must be the one SHA256SUMS lists for NAME.
verify() {
    expected=$(awk -v n="$2" '$2 == n || $2 == "*" n { print $1; exit }' "$WORK/SHA256SUMS")
    [ -n "$expected" ] || die "SHA256SUMS does not list $2"
    actual=$(sha256 "$1")
    [ "$actual" = "$expected" ] || die "checksum mismatch for $2 (expected $expected, got $actual): the download is corrupt or was tampered with; nothing was installed"
}

# writable DIR: create DIR (and parents) or explain that we cannot.
writable() {
    mkdir -p "$1" 2>/dev/null || die "cannot create $1 (no write access?): choose another folder with $2"
    probe="$1/.codetether-write-test.$$"
    (: >"$probe") 2>/dev/null || die "no write access to $1: choose another folder with $2"
    rm -f "$probe"
}

# --- which version ------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/codetether-install.XXXXXX")
fetch SHA256SUMS "$WORK/SHA256SUMS"
# Names look like codetether-1.2.3-linux-x86_64.tar.gz; pick the requested or the newest version.
listed=$(awk '{ n = $2; sub(/^\*/, "", n); print n }' "$WORK/SHA256SUMS" |
    sed -n "s/^codetether-\\([0-9][0-9A-Za-z.+-]*\\)-$PLATFORM\\.tar\\.gz\$/\\1/p" |
    sort -t . -k 1,1n -k 2,2n -k 3,3n)
[ -n "$listed" ] || die "the release at $SOURCE has no build for $PLATFORM"
if [ -n "$WANT_VERSION" ]; then
    printf '%s\n' "$listed" | grep -qx "$(printf '%s' "$WANT_VERSION" | sed 's/[.]/[.]/g')" ||
        die "version $WANT_VERSION for $PLATFORM is not in $SOURCE (it has: $(printf '%s' "$listed" | tr '\n' ' '))"
    VERSION="$WANT_VERSION"
else
    VERSION=$(printf '%s\n' "$listed" | tail -n 1)
fi
ARTIFACT="codetether-$VERSION-$PLATFORM.tar.gz"
TARGET="$INSTALL_ROOT/$VERSION"
LINK="$BIN_DIR/codetether"

writable "$BIN_DIR" "--bin-dir"
writable "$INSTALL_ROOT" "CODETETHER_INSTALL_DIR"
if [ -e "$LINK" ] && [ ! -L "$LINK" ]; then
    die "$LINK exists and is not a link this installer made (a pip or pipx install?): remove it, or use --bin-dir"
fi

# --- the program ---------------------------------------------------------------------------------
current=""
if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$TARGET/codetether/codetether" ]; then
    current=$("$LINK" --version 2>/dev/null || true)
fi
if [ "$current" = "codetether $VERSION" ]; then
    say "codetether $VERSION is already installed and current ($LINK)"
else
    previous=""
    if [ -L "$LINK" ]; then previous=$(readlink "$LINK"); fi
    say "downloading $ARTIFACT"
    fetch "$ARTIFACT" "$WORK/$ARTIFACT"
    verify "$WORK/$ARTIFACT" "$ARTIFACT"
    staging="$INSTALL_ROOT/.$VERSION.partial.$$"
    rm -rf "$staging"
    mkdir "$staging"
    # The folder is deleted by cleanup if anything below fails: no half-installed version stays.
    WORK_STAGING="$staging"
    trap 'cleanup; rm -rf "$WORK_STAGING"' EXIT
    (cd "$staging" && tar -xzf "$WORK/$ARTIFACT") || die "cannot unpack $ARTIFACT"
    [ -x "$staging/codetether/codetether" ] || die "$ARTIFACT does not hold codetether/codetether"
    got=$("$staging/codetether/codetether" --version 2>&1) || die "the unpacked binary does not run here: $got"
    [ "$got" = "codetether $VERSION" ] || die "the unpacked binary says '$got', not 'codetether $VERSION'"
    rm -rf "$TARGET"
    mv "$staging" "$TARGET"
    ln -s "$TARGET/codetether/codetether" "$BIN_DIR/.codetether.new.$$"
    mv -f "$BIN_DIR/.codetether.new.$$" "$LINK"
    if [ -n "$previous" ] && [ "$previous" != "$TARGET/codetether/codetether" ]; then
        old_dir="${previous%/codetether/codetether}"
        case "$old_dir" in "$INSTALL_ROOT"/*) rm -rf "$old_dir" ;; esac
        say "upgraded to codetether $VERSION ($LINK)"
    else
        say "installed codetether $VERSION ($LINK -> $TARGET)"
    fi
fi

# --- FunctionGemma, the local tool-call router's model ---------------------------------------------
model=$(awk '{ n = $2; sub(/^\*/, "", n); if (n ~ /^functiongemma-.*\.gguf$/) { print n; exit } }' "$WORK/SHA256SUMS")
if [ "$FUNCTIONGEMMA" = 0 ]; then
    say "skipping the FunctionGemma model (--no-functiongemma)"
elif [ -z "$model" ]; then
    say "this release lists no FunctionGemma model; skipping it"
elif [ -f "$MODELS_DIR/$model" ] && [ "$(sha256 "$MODELS_DIR/$model")" = "$(awk -v n="$model" '$2 == n || $2 == "*" n { print $1; exit }' "$WORK/SHA256SUMS")" ]; then
    say "the FunctionGemma model is already in $MODELS_DIR"
else
    say "downloading $model (~292 MB; --no-functiongemma skips it)"
    fetch "$model" "$WORK/$model"
    verify "$WORK/$model" "$model"
    (umask 077 && mkdir -p "$MODELS_DIR") || die "cannot create $MODELS_DIR"
    mv "$WORK/$model" "$MODELS_DIR/.$model.partial.$$"
    mv -f "$MODELS_DIR/.$model.partial.$$" "$MODELS_DIR/$model"
    say "FunctionGemma model: $MODELS_DIR/$model"
fi

# --- next step -----------------------------------------------------------------------------------
case ":${PATH}:" in
    *":$BIN_DIR:"*) ;;
    *) say "add $BIN_DIR to your PATH, e.g.: echo 'export PATH=\"$BIN_DIR:\$PATH\"' >> ~/.profile" ;;
esac
say "next: cd into a project and run: codetether run \"list the files here and say what each is for\""
