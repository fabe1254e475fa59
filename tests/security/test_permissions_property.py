"""Generated spellings of denied commands, run through the real bash tool: none of them runs.

Each variant wraps a denied command (``git push origin main``, ``touch touched``, ``rm -rf keep``) in quoting,
wrappers, compound commands, substitutions, nested shells and pipes into a shell, and goes through the same
ToolRunner -> ToolContext.check -> PermissionPolicy path the agent's bash calls take, in ``full`` access mode
(everything not denied runs) without anyone to ask. Each command leaves a trace if it runs: a branch in the
bare remote, a file, a directory gone; after every variant all three are checked.
"""

import asyncio
import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codetether.security.permissions import AccessMode
from tests.tools.conftest import Harness

EXAMPLES = 1200
RULES = {"bash": {"git push*": "deny", "touch *": "deny", "rm *": "deny", "git status*": "allow"}}
DENIED = [["git", "push", "origin", "main"], ["touch", "touched"], ["rm", "-rf", "keep"]]

WRAPPERS = [
    [],
    ["env"],
    ["env", "FOO=1"],
    ["/usr/bin/env"],
    ["command"],
    ["exec"],
    ["nice"],
    ["nice", "-n", "5"],
    ["nohup"],
    ["time"],
    ["timeout", "20"],
    ["timeout", "-s", "KILL", "20"],
    ["stdbuf", "-oL"],
    ["sudo", "-n"],
    ["FOO=1"],
]

TRANSFORMS = [
    lambda c: "{ " + c + "; }",
    lambda c: "( " + c + " )",
    lambda c: "if true; then " + c + "; fi",
    lambda c: "while true; do " + c + "; break; done",
    lambda c: "for i in 1; do " + c + "; done",
    lambda c: "case a in a) " + c + " ;; esac",
    lambda c: "f() { " + c + "; }; f",
    lambda c: "true && " + c,
    lambda c: "false || " + c,
    lambda c: c + "; true",
    lambda c: "true\n" + c,
    lambda c: "# note\n" + c,
    lambda c: c + " # note",
    lambda c: "true | " + c,
    lambda c: c + " | cat",
    lambda c: "! " + c,
    lambda c: "echo $(" + c + ")",
    lambda c: "echo `" + c + "`",
    lambda c: "x=$(" + c + ")",
    lambda c: ': "$(' + c + ')"',
    lambda c: "cat <(" + c + ")",
    lambda c: "bash -c " + shlex.quote(c),
    lambda c: "sh -c " + shlex.quote(c),
    lambda c: "bash -lc " + shlex.quote(c),
    lambda c: "timeout 20 bash -c " + shlex.quote(c),
    lambda c: "eval " + shlex.quote(c),
    lambda c: "echo " + shlex.quote(c) + " | bash",
    lambda c: "printf '%s\\n' " + shlex.quote(c) + " | sh",
    lambda c: "bash <<< " + shlex.quote(c),
    lambda c: "bash <<'EOF'\n" + c + "\nEOF",
    lambda c: "source <(echo " + shlex.quote(c) + ")",
    lambda c: "echo " + shlex.quote(c) + " | xargs -I{} bash -c '{}'",
    lambda c: "shopt -s expand_aliases\nalias p=" + shlex.quote(c) + "\np",
    lambda c: "trap " + shlex.quote(c) + " EXIT",
    lambda c: "su -c " + shlex.quote(c),
    lambda c: "script -qc " + shlex.quote(c) + " /dev/null",
    lambda c: c + " > /dev/null 2>&1",
    lambda c: c + " 2>/dev/null",
]


@st.composite
def spelled(draw, word: str) -> str:
    """One word as bash would still read it: quoted, partly quoted, escaped or ANSI-C quoted."""
    style = draw(st.sampled_from(["plain", "single", "double", "backslash", "split", "ansi", "ansi-hex"]))
    if style == "single":
        return f"'{word}'"
    if style == "double":
        return f'"{word}"'
    if style == "backslash":
        return "\\" + word
    if style == "split" and len(word) > 1:
        cut = draw(st.integers(1, len(word) - 1))
        return word[:cut] + draw(st.sampled_from(["'", '"'])).join(["", word[cut:], ""])
    if style == "ansi":
        return f"$'{word}'"
    if style == "ansi-hex":
        return "$'" + "".join(f"\\x{ord(ch):02x}" for ch in word) + "'"
    return word


@st.composite
def invocation(draw) -> str:
    """The denied argv, possibly behind wrappers, run-time words or a command that builds the argument list."""
    argv = draw(st.sampled_from(DENIED))
    gaps = st.sampled_from([" ", "  ", "\t", " \\\n "])
    form = draw(st.sampled_from(["words", "words", "words", "xargs", "find", "substituted-name", "variable"]))
    if form == "xargs":
        return f"echo {shlex.join(argv[1:])} | xargs {argv[0]}"
    if form == "find":
        return f"find . -maxdepth 0 -exec {shlex.join(argv)} \\;"
    if form == "substituted-name":
        return f"$(echo {argv[0]}) {shlex.join(argv[1:])}"
    if form == "variable":
        return f"c={argv[1]}; {argv[0]} $c {shlex.join(argv[2:])}"
    words = [*draw(st.sampled_from(WRAPPERS)), *argv]
    line = ""
    for i, word in enumerate(words):
        # A quoted FOO=1 in front is a command named "FOO=1", not an assignment: leave that one bare.
        bare = i == 0 and "=" in word
        line += (draw(gaps) if i else "") + (word if bare else draw(spelled(word)))
    return line


@st.composite
def variant(draw) -> str:
    command = draw(invocation())
    for transform in draw(st.lists(st.sampled_from(TRANSFORMS), max_size=3)):
        command = transform(command)
    return command


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace on branch main with a bare remote `origin`, and a directory `keep`."""
    workspace, remote = tmp_path / "ws", tmp_path / "remote.git"
    workspace.mkdir()
    git("init", "-q", cwd=workspace)
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "one", cwd=workspace)
    git("branch", "-M", "main", cwd=workspace)
    git("remote", "add", "origin", str(remote), cwd=workspace)
    (workspace / "keep").mkdir()
    return workspace, remote


def traces(workspace: Path, remote: Path) -> list[str]:
    """What a denied command that ran would have left behind."""
    found = []
    if (remote / "refs" / "heads" / "main").exists():
        found.append("git push reached the remote")
    if (workspace / "touched").exists():
        found.append("touch created its file")
    if not (workspace / "keep").is_dir():
        found.append("rm removed the directory")
    return found


def restore(workspace: Path, remote: Path) -> None:
    (remote / "refs" / "heads" / "main").unlink(missing_ok=True)
    (workspace / "touched").unlink(missing_ok=True)
    (workspace / "keep").mkdir(exist_ok=True)


def test_no_generated_variant_of_a_denied_command_runs(repo):
    workspace, remote = repo
    harness = Harness(workspace, mode=AccessMode.FULL, rules=RULES)  # no one to ask: "ask" refuses
    loop = asyncio.new_event_loop()
    seen: set[str] = set()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(variant())
    def check(command: str) -> None:
        seen.add(command)
        try:
            outcome = loop.run_until_complete(harness.call("bash", command=command))
            assert outcome.is_error and "permission denied" in outcome.output, (command, outcome.output)
            assert not traces(workspace, remote), (command, traces(workspace, remote))
        finally:  # so that a failure is pinned on the variant that ran, not on the ones after it
            restore(workspace, remote)

    try:
        check()
    finally:
        loop.run_until_complete(harness.context.aclose())
        loop.close()
    assert len(seen) >= 1000, f"only {len(seen)} distinct variants were generated"


def test_the_denied_commands_leave_traces_when_they_do_run(repo):
    """The check above proves something only if each denied command, allowed, leaves its trace."""
    workspace, remote = repo
    harness = Harness(workspace, mode=AccessMode.FULL)
    loop = asyncio.new_event_loop()
    try:
        for argv in DENIED:
            outcome = loop.run_until_complete(harness.call("bash", command="bash -c " + shlex.quote(shlex.join(argv))))
            assert not outcome.is_error, outcome.output
    finally:
        loop.close()
    assert traces(workspace, remote) == [
        "git push reached the remote",
        "touch created its file",
        "rm removed the directory",
    ]
