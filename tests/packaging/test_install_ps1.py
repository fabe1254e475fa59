"""install.ps1: no PowerShell can be installed here (not in Debian, not on PyPI or npm), so the script is
parsed with the tree-sitter PowerShell grammar, and its flags and messages are checked against install.sh's.

What this does not prove: that it runs. The parity list in docs/install.md says flag by flag what each
script does; the Windows release job runs it for real.
"""

import re

import pytest

from tests.packaging.conftest import ROOT

tree_sitter = pytest.importorskip("tree_sitter")
powershell = pytest.importorskip("tree_sitter_powershell", reason="the dev extra installs tree-sitter-powershell")

PS1 = (ROOT / "install.ps1").read_bytes()
SH = (ROOT / "install.sh").read_text()
# install.sh flag -> install.ps1 parameter
PARITY = {
    "--from": "From",
    "--version": "Version",
    "--bin-dir": "BinDir",
    "--no-functiongemma": "NoFunctionGemma",
    "--help": "Help",
}


def parse(source: bytes):
    parser = tree_sitter.Parser(tree_sitter.Language(powershell.language()))
    return parser.parse(source).root_node


def problems(node) -> list[str]:
    found = []
    if node.is_error or node.is_missing:
        found.append(f"line {node.start_point[0] + 1}: {node.type} {node.text[:60]!r}")
    for child in node.children:
        found += problems(child)
    return found


def test_the_grammar_catches_a_broken_script():
    assert parse(b"if ($x -eq 1 { Write-Host 'no closing paren' }").has_error
    assert not parse(b"if ($x -eq 1) { Write-Host 'fine' }").has_error


def test_install_ps1_parses_without_errors():
    root = parse(PS1)
    assert problems(root) == []


def test_every_install_sh_flag_has_its_parameter():
    root = parse(PS1)
    params = next(n for n in root.children if n.type == "param_block")
    names = {v.text.decode().lstrip("$") for v in _walk(params) if v.type == "variable"}
    assert {"From", "Version", "BinDir", "NoFunctionGemma", "Help"} <= names
    sh_flags = set(re.findall(r"^\s+(--[a-z-]+)\)", SH, re.MULTILINE)) | {"--help"}
    assert sh_flags == set(PARITY), "a new install.sh flag needs its install.ps1 parameter (and PARITY entry)"
    for flag, parameter in PARITY.items():
        assert f"-{parameter}" in PS1.decode(), f"install.ps1 -help does not mention -{parameter} ({flag})"


@pytest.mark.parametrize(
    "message",
    [
        "unsupported platform: ",
        "checksum mismatch for ",
        "nothing was installed",
        "is already installed and current",
        "upgraded to codetether ",
        "has no build for ",
        "(no write access?): choose another folder with ",
        "the unpacked binary does not run here: ",
        "this release lists no FunctionGemma model; skipping it",
        "the FunctionGemma model is already in ",
        "next: cd into a project and run: codetether run",
    ],
)
def test_both_scripts_say_the_same_things(message: str):
    assert message in SH and message in PS1.decode()


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)
