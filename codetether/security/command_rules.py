"""Judging a shell command line against ``[permissions.bash]`` glob rules, command by command.

A deny rule denies the line when it matches any simple command the line runs, including commands inside
wrappers, ``bash -c`` strings and substitutions (see shell_parse). An allow rule allows the line only when
every simple command is allowed and no output redirection writes outside the workspace. A line the parser
cannot follow asks whenever a deny rule exists, so an unparseable line can never slip past one.

Parts only known at run time (``git $X``) are ``DYNAMIC``: a deny rule that *could* match them denies, and an
allow rule allows only when it matches whatever they turn out to be (``git status *`` covers
``git status $X``, but ``git *`` does not cover ``$CMD status``).
"""

import fnmatch
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from .shell_parse import DYNAMIC, ShellAnalysis, SimpleCommand, analyze

Action = Literal["allow", "deny", "ask"]
Rules = Sequence[tuple[str, Action]]

_HARMLESS_TARGETS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})
_STAR, _ONE = "\x00*", "\x00?"  # glob tokens, two characters long so no literal character equals them


def judge(
    command: str,
    rules: Rules,
    *,
    workspace: Path | None,
    cwd: Path | None,
    edit_verdict: Callable[[str], Action],
    strict: bool,
) -> Action | None:
    """The rules' verdict on ``command``, or None when they leave it to the access mode.

    A file the line writes inside the workspace is an edit of that file, judged by ``edit_verdict`` (its
    workspace-relative path -> the edit rules or the mode). ``strict`` (some rule denies something): a line
    that cannot be followed asks instead of falling back to the mode, since it might run what is denied.
    """
    analysis = analyze(command)
    runs = [_verdict(simple, rules) for simple in analysis.commands]
    writes = [_write_verdict(target, analysis, workspace, cwd, edit_verdict) for target in analysis.writes]
    if "deny" in runs or "deny" in writes or _decision(" ".join(command.split()), rules) == "deny":
        return "deny"
    if analysis.unknown:
        return "ask" if strict else None
    if "ask" in runs or "ask" in writes:
        return "ask"
    if (runs or writes) and all(v == "allow" for v in runs + writes):
        return "allow"
    return None


def _verdict(simple: SimpleCommand, rules: Rules) -> Action | None:
    """deny if any layer may be denied; allow if a layer is allowed and only transparent wrappers surround it."""
    for layer in simple.layers:
        if any(_decision(text, rules) == "deny" for text in _spellings(layer.text)):
            return "deny"
    for layer in simple.layers:
        decision = _decision(layer.text, rules)
        if decision is not None:
            return decision
        if not layer.transparent:
            return None
    # Every layer is a transparent wrapper with no rule: a `bash -c`/`eval` string was judged on its own.
    return "allow" if simple.delegated else None


def _spellings(text: str) -> list[str]:
    """``/usr/bin/git push`` is also ``git push`` to a deny rule (never to an allow rule: ./git is not git)."""
    name, sep, rest = text.partition(" ")
    base = name.rsplit("/", 1)[-1]
    return [text, base + sep + rest] if base != name and base else [text]


def _decision(text: str, rules: Rules) -> Action | None:
    """Last match wins; with DYNAMIC parts, deny when a deny rule could match what they become."""
    last_may, last_cover = None, None
    for i, (pattern, action) in enumerate(rules):
        if not may_match(pattern, text):
            continue
        if action == "deny" and not any(a != "deny" and covers(p, text) for p, a in rules[i + 1 :]):
            return "deny"
        last_may = i
        if covers(pattern, text):
            last_cover = i
    if last_may is None:
        return None
    return rules[last_may][1] if last_may == last_cover else "ask"


def covers(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches ``text`` whatever its DYNAMIC parts turn out to be."""
    if DYNAMIC in text and ("?" in pattern or "[" in pattern):
        return False  # a one-character wildcard cannot vouch for text of unknown length
    # DYNAMIC matches no literal character, so a match must have put every DYNAMIC part inside a `*`.
    return fnmatch.fnmatchcase(text, pattern)


def may_match(pattern: str, text: str) -> bool:
    """Whether some value of ``text``'s DYNAMIC parts makes ``pattern`` match (a glob-vs-glob intersection)."""
    if DYNAMIC not in text:
        return fnmatch.fnmatchcase(text, pattern)
    pat = _glob_tokens(pattern)
    txt = [_STAR if char == DYNAMIC else char for char in text]
    # ok[i][j]: pattern[i:] and text[j:] can match the same string; filled from the ends.
    ok = [[False] * (len(txt) + 1) for _ in range(len(pat) + 1)]
    ok[len(pat)][len(txt)] = True
    for i in range(len(pat), -1, -1):
        for j in range(len(txt), -1, -1):
            if i == len(pat) and j == len(txt):
                continue
            p = pat[i] if i < len(pat) else None
            t = txt[j] if j < len(txt) else None
            if p == _STAR or t == _STAR:
                ok[i][j] = (p == _STAR and ok[i + 1][j]) or (t == _STAR and ok[i][j + 1])
                if p == _STAR and t is not None:
                    ok[i][j] = ok[i][j] or ok[i][j + 1]  # the pattern's * takes the text's next character
                if t == _STAR and p is not None and p != _STAR:
                    ok[i][j] = ok[i][j] or ok[i + 1][j]  # the text's * produces the pattern's next character
            elif p is not None and t is not None:
                ok[i][j] = p in (_ONE, t) and ok[i + 1][j + 1]
    return ok[0][0]


def _glob_tokens(pattern: str) -> list[str]:
    """fnmatch's syntax as tokens: *, ? (a [class] counts as ?: it may match whatever the text holds), literals."""
    tokens, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            end = i + 1 + (pattern[i + 1 : i + 2] == "!")
            end = pattern.find("]", end + 1 if pattern[end : end + 1] == "]" else end)
            if end != -1:
                tokens.append(_ONE)
                i = end + 1
                continue
        tokens.append(_STAR if char == "*" else _ONE if char == "?" else char)
        i += 1
    return tokens


def _write_verdict(
    target: str,
    analysis: ShellAnalysis,
    workspace: Path | None,
    cwd: Path | None,
    edit_verdict: Callable[[str], Action],
) -> Action | None:
    """A redirection inside the workspace is an edit of that file; outside it (or unknowable) no rule allows it."""
    if target in _HARMLESS_TARGETS or target.startswith("/dev/fd/"):
        return "allow"
    if workspace is None or not target or DYNAMIC in target:
        return None
    path = Path(os.path.expanduser(target))
    if not path.is_absolute():
        if analysis.changes_directory:
            return None  # after a cd, a relative target is not relative to the directory we know
        path = (cwd or workspace) / path
    resolved, root = path.resolve(), workspace.resolve()  # a symlink already there counts where it points
    try:
        return edit_verdict(resolved.relative_to(root).as_posix())
    except ValueError:
        return None
