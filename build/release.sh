#!/usr/bin/env bash
# Build every release artifact for this platform into dist/, smoke-test them, and write dist/SHA256SUMS.
#
#   build/release.sh [--local] [--no-binaries] [--functiongemma FILE.gguf]
#
# The version comes from codetether/_version.py (build/artifacts.py reads it); the npm package's
# version must match it (checked here and by tests/packaging). Run it from the environment that has
# the project installed with the dev and release extras (`pip install -e '.[dev,release]'`).
#   wheel + sdist      codetether-<v>-cp311-….whl, codetether-<v>.tar.gz     (pipx / uvx / pip)
#   zipapp             codetether-<v>-<platform>-cp311.pyz                    (python3 codetether.pyz)
#   one-dir, one-file  codetether-<v>-<platform>.tar.gz, codetether-<v>-<platform>   (install.sh, npx)
#   --local            the same two with llama-cpp-python and the packaged Gemma model (-local)
#   npm                codetether-<v>.tgz                                    (npm publish)
#   install.sh, install.ps1, and the FunctionGemma GGUF when --functiongemma names it
# A CUDA -local build: see docs/install.md ("GPU builds").
set -euo pipefail
cd "$(dirname "$0")/.."

local_variant=0
binaries=1
functiongemma=""
while [ $# -gt 0 ]; do
    case "$1" in
        --local) local_variant=1; shift ;;
        --no-binaries) binaries=0; shift ;;
        --functiongemma) functiongemma="$2"; shift 2 ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "release.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

version=$(python build/artifacts.py version)
npm_version=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' npm/codetether/package.json)
if [ "$npm_version" != "$version" ]; then
    echo "release.sh: npm/codetether/package.json says $npm_version, codetether/_version.py says $version" >&2
    exit 1
fi
if [ -n "$functiongemma" ] && [[ "$(basename "$functiongemma")" != functiongemma-*.gguf ]]; then
    echo "release.sh: --functiongemma wants a file named functiongemma-*.gguf" >&2
    exit 1
fi

mkdir -p dist
# This version's old artifacts go; anything else in dist/ is left alone.
rm -f dist/SHA256SUMS "dist/codetether-$version"* dist/codetether-"$version"-*.whl
started=$SECONDS

echo "--- wheel and sdist"
CODETETHER_REQUIRE_EXTENSIONS=1 python -m pip wheel -q --no-deps --no-build-isolation -w dist .
python setup.py -q sdist -d dist >/dev/null
wheel=$(ls dist/codetether-"$version"-*.whl)

echo "--- zipapp"
python build/make_zipapp.py --wheel "$wheel" --out dist
python build/smoke.py "$(python -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')" \
    "dist/$(python build/artifacts.py zipapp)"

if [ "$binaries" = 1 ]; then
    echo "--- PyInstaller one-dir and one-file"
    python build/make_binary.py --out dist --smoke
    if [ "$local_variant" = 1 ]; then
        echo "--- PyInstaller -local (llama-cpp-python)"
        python build/make_binary.py --local --out dist --smoke
    fi
fi

echo "--- npm package, install scripts"
npm pack --silent --pack-destination dist ./npm/codetether >/dev/null  # ./: not a GitHub owner/repo
cp install.sh install.ps1 dist/
if [ -n "$functiongemma" ]; then
    cp "$functiongemma" dist/
fi

echo "--- SHA256SUMS"
(
    cd dist
    files=(codetether-"$version"* install.sh install.ps1)
    if [ -n "$functiongemma" ]; then files+=("$(basename "$functiongemma")"); fi
    sha256sum "${files[@]}" >SHA256SUMS.tmp
    mv SHA256SUMS.tmp SHA256SUMS
    cat SHA256SUMS
    du -h "${files[@]}"
)
echo "release $version for $(python build/artifacts.py platform) built in $((SECONDS - started)) s"
