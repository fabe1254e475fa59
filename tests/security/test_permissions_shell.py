"""Permission rules judge the commands a shell line runs, whatever its spelling (issue 12 item 5)."""

import subprocess
import sys
from pathlib import Path

import pytest

from codetether.security.command_rules import may_match
from codetether.security.permissions import AccessMode, PermissionPolicy, PermissionRequest
from codetether.security.shell_parse import DYNAMIC, analyze

PUSH_DENIED = {"bash": {"git push*": "deny", "git status*": "allow"}}

# The spellings from the issue, and the other ways bash has of running `git push`.
RUN_GIT_PUSH = [
    "git push",
    "git  push",
    "git\tpush origin main",
    "bash -c 'git push'",
    'sh -c "git push"',
    "bash -lc 'git push'",
    "bash -c -- 'git push'",
    "env git push",
    "env -i PATH=/usr/bin git push",
    "/usr/bin/env git push",
    "command git push",
    "exec git push",
    "nice -n 5 git push",
    "nohup git push",
    "time git push",
    "timeout -s KILL 10 git push",
    "stdbuf -oL git push",
    "sudo -u root git push",
    "{ git push; }",
    "( git push )",
    "if true; then git push; fi",
    "while true; do git push; break; done",
    "for x in 1; do git push; done",
    "case a in a) git push ;; esac",
    "f() { git push; }; f",
    "true && git push",
    "false || git push",
    "git status; git push",
    "git status\ngit push",
    "! git push",
    "git push &",
    "echo $(git push)",
    "echo `git push`",
    'echo "$(git push)"',
    "x=$(git push)",
    "export X=$(git push)",
    "cat <(git push)",
    "eval 'git push'",
    "eval git push",
    'g"i"t push',
    "'git' 'push'",
    "\\git push",
    "git \\push",
    "/usr/bin/git push",
    "GIT_TRACE=1 git push",
    "echo push | xargs git",
    "find . -maxdepth 0 -exec git push \\;",
    "env -S 'git push'",
    "bash -c \"bash -c 'git push'\"",
    "git push > /dev/null 2>&1",
    "git pu$X",
    "$(echo git) push",
    "git p*h",
]

# What cannot be followed before it runs: it asks (and is refused when nobody can be asked).
UNFOLLOWABLE = [
    "echo git push | bash",
    "echo git push | sh -s",
    "bash <<< 'git push'",
    "bash <<'EOF'\ngit push\nEOF",
    "printf 'git push' | bash -",
    "source <(echo git push)",
    ". /dev/stdin <<< 'git push'",
    'bash -c "$CMD"',
    'eval "$CMD"',
    "echo 'git push' | xargs -I{} sh -c '{}'",
    "cat <<EOF\n`git push`\nEOF",
    "echo 'unterminated",
]


def decide(command: str, rules=PUSH_DENIED, mode=AccessMode.FULL, workspace: Path | None = None) -> str:
    policy = PermissionPolicy(mode, rules)
    return policy.decide(PermissionRequest("bash", command, "execute"), workspace=workspace, cwd=workspace)


@pytest.mark.parametrize("command", RUN_GIT_PUSH)
def test_a_deny_rule_matches_every_spelling_of_the_command(command):
    assert decide(command) == "deny"


@pytest.mark.parametrize("command", UNFOLLOWABLE)
def test_what_cannot_be_followed_asks_when_a_rule_denies(command):
    assert decide(command) == "ask"


def test_what_cannot_be_followed_is_left_to_the_mode_when_nothing_is_denied():
    only_allow = {"bash": {"git status*": "allow"}}
    assert decide("echo ls | bash", only_allow, AccessMode.FULL) == "allow"
    assert decide("echo ls | bash", only_allow, AccessMode.ASK) == "ask"


@pytest.mark.parametrize(
    "command",
    [
        "git status",
        "git  status --short",
        "timeout 5 git status",
        "nice git status",
        "env git status",
        "bash -c 'git status'",
        "git status 2>&1",
        "git status > /dev/null",
        "git status $PATHSPEC",
        "git status && git status -s",
    ],
)
def test_an_allow_rule_still_allows_its_command_however_it_is_wrapped(command, tmp_path):
    assert decide(command, mode=AccessMode.ASK, workspace=tmp_path) == "allow"


@pytest.mark.parametrize(
    "command",
    [
        "git status; touch pwned",  # another command
        "git status | sh",  # into a shell
        "sudo git status",  # another user: needs a rule of its own
        "env GIT_PAGER=evil git status",  # another environment (GIT_SSH_COMMAND, LD_PRELOAD...)
        "./git status",  # another program
        "$CMD status",  # unknown program
    ],
)
def test_an_allow_rule_does_not_cover_other_commands(command, tmp_path):
    assert decide(command, {"bash": {"git status*": "allow"}}, AccessMode.ASK, tmp_path) == "ask"


def test_a_redirection_outside_the_workspace_is_never_allowed_by_a_rule(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "link").symlink_to(tmp_path)
    for command in (
        f"git status > {tmp_path}/outside",
        "git status > ../outside",
        "git status > link/outside",  # a symlink already in the workspace counts where it points
        "git status > ~/outside",
        "git status > $OUT",
        "cd .. && git status > outside",
        "cd .. && git status >> outside",
    ):
        for mode in (AccessMode.ASK, AccessMode.APPROVE):
            assert decide(command, mode=mode, workspace=workspace) == "ask", (command, mode)


def test_a_redirection_inside_the_workspace_is_an_edit(tmp_path):
    # ask mode asks before edits, approve mode makes them: the same holds for `>> secret.txt`.
    assert decide("git status >> secret.txt", mode=AccessMode.ASK, workspace=tmp_path) == "ask"
    assert decide("git status >> secret.txt", mode=AccessMode.APPROVE, workspace=tmp_path) == "allow"
    rules = {"edit": {"secrets/*": "deny"}}
    assert decide("echo key > secrets/key", rules, AccessMode.FULL, tmp_path) == "deny"
    assert decide("echo key > notes/key", rules, AccessMode.FULL, tmp_path) == "allow"


def test_last_match_wins_even_with_parts_known_only_at_run_time():
    rules = {"bash": {"git *": "deny", "git status*": "allow"}}
    assert decide("git status", rules, AccessMode.ASK) == "allow"
    assert decide("git status $X", rules, AccessMode.ASK) == "allow"  # `git status*` covers whatever $X is
    assert decide("git $X", rules, AccessMode.ASK) == "deny"  # $X may be `push`
    assert decide("git log", rules, AccessMode.ASK) == "deny"


def test_a_rule_on_the_whole_wrapper_still_applies():
    assert decide("sudo git status", {"bash": {"sudo *": "deny"}}) == "deny"
    assert decide("sudo apt update", {"bash": {"sudo apt *": "allow"}}, AccessMode.ASK) == "allow"
    assert decide("bash -c 'ls'", {"bash": {"bash *": "deny"}}) == "deny"


def test_always_allows_exactly_what_the_user_saw():
    policy = PermissionPolicy(AccessMode.ASK, PUSH_DENIED)
    request = PermissionRequest("bash", "echo ls | bash", "execute")
    assert policy.decide(request) == "ask"
    policy.remember(request)
    assert policy.decide(request) == "allow"
    assert policy.decide(PermissionRequest("bash", "echo git push | bash", "execute")) == "ask"


def test_analysis_keeps_run_time_parts_unknown():
    analysis = analyze("FOO=1 nice $X 'a b' *.py {a,b} \"x$(y)\"")
    [substituted, command] = analysis.commands
    assert [layer.text for layer in substituted.layers] == ["y"]
    unknown = f"{DYNAMIC} a b {DYNAMIC} {DYNAMIC} x{DYNAMIC}"
    assert [layer.text for layer in command.layers] == [f"FOO=1 nice {unknown}", f"nice {unknown}", unknown]
    assert [layer.transparent for layer in command.layers] == [False, True, False]


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("git push*", f"git {DYNAMIC}", True),
        ("git push*", f"git status {DYNAMIC}", False),
        ("git push*", f"{DYNAMIC} push", True),
        ("rm -rf /", f"rm {DYNAMIC} /", True),
        ("rm -rf /", f"rm {DYNAMIC} /tmp", False),
        ("git p?sh", f"git p{DYNAMIC}", True),
        ("git [pq]ush", f"gi{DYNAMIC}ush", True),
        ("*", DYNAMIC, True),
        ("a*b", f"{DYNAMIC}c", False),
    ],
)
def test_may_match_intersects_two_globs(pattern, text, expected):
    assert may_match(pattern, text) is expected


def test_the_bash_grammar_loads_only_when_a_command_is_judged():
    probe = (
        "import sys\n"
        "from codetether.security.permissions import AccessMode, PermissionPolicy, PermissionRequest\n"
        "policy = PermissionPolicy(AccessMode.ASK, {'bash': {'git push*': 'deny'}})\n"
        "policy.decide(PermissionRequest('read_file', 'a.py', 'read'))\n"
        "assert 'tree_sitter' not in sys.modules, 'imported at startup'\n"
        "assert policy.decide(PermissionRequest('bash', 'env git push', 'execute')) == 'deny'\n"
        "assert 'tree_sitter_bash' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
