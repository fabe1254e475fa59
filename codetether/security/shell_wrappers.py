"""Commands that run other commands: which one they run, and whether a rule for that one is enough.

``env git push``, ``timeout 5 git push`` and ``sudo git push`` all run ``git push``; ``bash -c 'git push'`` and
``eval 'git push'`` run a command *string*; ``find -exec`` and ``xargs`` build argument lists. A permission rule
written for ``git push`` must see through all of them. A wrapper is *transparent* when it runs the inner command
unchanged (``nice``, ``timeout``): an allow rule for the inner command then covers it. ``sudo`` (another user) and
``env FOO=1`` (another environment: ``GIT_SSH_COMMAND``, ``LD_PRELOAD``) are not: they need a rule of their own.
"""

import re
from dataclasses import dataclass

DYNAMIC = "\x00"  # stands for text only known at run time (a variable, a glob, a substitution's output)

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """What an argv runs besides itself."""

    inner: list[str] | None = None  # the command it runs in its place (env, timeout, sudo, xargs)
    transparent: bool = True  # runs ``inner`` as is: same user, same environment
    scripts: tuple[str, ...] = ()  # command strings it hands to a shell (bash -c, eval, env -S)
    also_runs: tuple[list[str], ...] = ()  # commands it runs besides (find -exec)
    unknown: str = ""  # why what it runs cannot be known before it runs


@dataclass(frozen=True, slots=True)
class _Options:
    """A wrapper's option syntax: which short letters and long names take a value, and leading positionals."""

    short_values: str = ""
    long_values: frozenset[str] = frozenset()
    positionals: int = 0  # arguments before the command, e.g. timeout's DURATION
    escalates: bool = False  # runs the command as another user
    assignments: bool = False  # accepts NAME=value before the command (env)


_WRAPPERS: dict[str, _Options] = {
    "env": _Options("uCS", frozenset({"--unset", "--chdir", "--split-string"}), assignments=True),
    "command": _Options(),
    "builtin": _Options(),
    "exec": _Options("a"),
    "nice": _Options("n", frozenset({"--adjustment"})),
    "nohup": _Options(),
    "time": _Options("fo", frozenset({"--format", "--output"})),
    "timeout": _Options("sk", frozenset({"--signal", "--kill-after"}), positionals=1),
    "stdbuf": _Options("ioe", frozenset({"--input", "--output", "--error"})),
    "setsid": _Options(),
    "ionice": _Options("cnp", frozenset({"--class", "--classdata", "--pid", "--pgid", "--uid"})),
    "coproc": _Options(),
    "busybox": _Options(),
    "sudo": _Options(
        "ugCDhprtUTR",
        frozenset({"--user", "--group", "--close-from", "--chdir", "--host", "--prompt", "--role", "--type"}),
        escalates=True,
        assignments=True,
    ),
    "doas": _Options("uC", escalates=True),
    "flock": _Options("wEc", frozenset({"--timeout", "--conflict-exit-code", "--command"}), positionals=1),
    "chroot": _Options("", frozenset({"--userspec", "--groups"}), positionals=1, escalates=True),
    "pkexec": _Options("", frozenset({"--user"}), escalates=True),
    "xargs": _Options(
        "aEILnPsd",
        frozenset({"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}),
    ),
}

# Commands that take a command *string* in an option: `su -c 'git push'`, `script -qc 'git push' /dev/null`.
_STRING_OPTION = {"su": True, "script": False, "flock": False}  # name -> whether it runs as another user

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish"})
_STDIN_PATHS = re.compile(r"^(-|/dev/stdin|/dev/fd/\d+|/proc/[^/]+/fd/\d+)$")


def _skip_options(args: list[str], opts: _Options) -> tuple[int, bool, str | None]:
    """(index of the command, whether NAME=value assignments came first, the value of env's -S if given)."""
    i, assigned, split = 0, False, None
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return i + 1, assigned, split
        if opts.assignments and _ASSIGNMENT.match(arg):
            assigned, i = True, i + 1
            continue
        if arg.startswith("--"):
            name, has_value, value = arg.partition("=")
            takes = name in opts.long_values and not has_value
            if name == "--split-string":
                split = args[i + 1] if takes and i + 1 < len(args) else value
            i += 2 if takes else 1
            continue
        if arg.startswith("-") and len(arg) > 1:
            for j, letter in enumerate(arg[1:], 1):
                if letter in opts.short_values:
                    value = arg[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                    if letter == "S" and opts.assignments:
                        split = value
                    i += 0 if arg[j + 1 :] else 1
                    break
            i += 1
            continue
        break
    return i, assigned, split


def _wrapper(name: str, args: list[str], opts: _Options) -> Unwrapped:
    start, assigned, split = _skip_options(args, opts)
    if split is not None:  # env -S 'git push': the string is split into a command line
        return Unwrapped(scripts=(" ".join([split, *args[start:]]),), transparent=not assigned)
    positionals = args[start : start + opts.positionals]
    start += opts.positionals
    inner = args[start:]
    # `timeout $T git push`: if $T is "-s", KILL is the duration and the command starts a word later.
    unknown = "a wrapper whose arguments are only known at run time" if any(DYNAMIC in p for p in positionals) else ""
    if name == "xargs":
        return Unwrapped(inner=_xargs_command(args[:start], inner))
    return Unwrapped(inner=inner or None, transparent=not (opts.escalates or assigned), unknown=unknown)


def _xargs_command(options: list[str], command: list[str]) -> list[str]:
    """The command xargs runs: its arguments come from stdin, appended or put in place of -I's string."""
    command = command or ["echo"]
    replace = None
    for i, arg in enumerate(options):
        if arg == "-I" and i + 1 < len(options):
            replace = options[i + 1]
        elif arg.startswith("-I") and len(arg) > 2:
            replace = arg[2:]
        elif arg == "--replace" or arg.startswith("--replace="):
            replace = arg.partition("=")[2] or "{}"
        elif arg.startswith("-i"):
            replace = arg[2:] or "{}"
    if replace:
        return [word.replace(replace, DYNAMIC) for word in command]
    return [*command, DYNAMIC]


def _shell(args: list[str]) -> Unwrapped | None:
    """bash -c STRING runs STRING; bash with no script (or -s, or a pipe as script) runs whatever stdin holds."""
    i, has_c, from_stdin = 0, False, False
    while i < len(args):
        arg = args[i]
        if arg in ("--", "-"):
            from_stdin = arg == "-"
            i += 1
            break
        if arg.startswith("--"):
            i += 2 if arg in ("--rcfile", "--init-file") else 1
            continue
        if arg[:1] in ("-", "+") and len(arg) > 1:
            letters = arg[1:]
            has_c = has_c or (arg[0] == "-" and "c" in letters)
            from_stdin = from_stdin or "s" in letters
            i += 2 if letters[-1] in "oO" else 1
            continue
        break
    rest = args[i:]
    if has_c:
        return Unwrapped(scripts=(rest[0],)) if rest else Unwrapped(unknown="a shell -c without a command string")
    if from_stdin or not rest:
        return Unwrapped(unknown="a shell that reads its commands from stdin")
    return _script_file(rest[0])


def _script_file(path: str) -> Unwrapped | None:
    if DYNAMIC in path or _STDIN_PATHS.match(path):
        return Unwrapped(unknown="a script produced while the command runs")
    return None  # a script file: as far as rules go, an ordinary command


def _find(args: list[str]) -> Unwrapped | None:
    runs, i = [], 0
    while i < len(args):
        if args[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            end = i + 1
            while end < len(args) and args[end] not in (";", "+"):
                end += 1
            runs.append([word.replace("{}", DYNAMIC) for word in args[i + 1 : end]])
            i = end
        i += 1
    return Unwrapped(also_runs=tuple(r for r in runs if r)) if runs else None


def _string_option(args: list[str]) -> str | None:
    """The value of -c / --command, also inside a cluster such as ``-qc``."""
    for i, arg in enumerate(args):
        if arg.startswith("--command"):
            return arg.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
            rest = arg[arg.index("c") + 1 :]
            return rest or (args[i + 1] if i + 1 < len(args) else "")
    return None


def _trap(args: list[str]) -> Unwrapped | None:
    """``trap 'git push' EXIT`` runs its first argument as a command when the signal comes."""
    args = args[1:] if args[:1] == ["--"] else args
    if len(args) < 2 or args[0] == "-" or args[0].startswith("-"):
        return None
    return Unwrapped(scripts=(args[0],), transparent=False)


def unwrap(argv: list[str]) -> Unwrapped | None:
    """What ``argv`` runs besides itself, or None for an ordinary command."""
    name, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    if name in _STRING_OPTION and (script := _string_option(args)) is not None:
        return Unwrapped(scripts=(script,), transparent=not _STRING_OPTION[name])
    if name == "alias":  # alias p='git push': what `p` runs once aliases expand
        return Unwrapped(scripts=tuple(a.partition("=")[2] for a in args if "=" in a), transparent=False)
    if name == "trap":
        return _trap(args)
    if name == "watch":  # watch runs its arguments through sh -c
        start, _, _ = _skip_options(args, _Options("nqd", frozenset({"--interval", "--differences"})))
        return Unwrapped(scripts=(" ".join(args[start:]),)) if args[start:] else None
    if name in _WRAPPERS:
        return _wrapper(name, args, _WRAPPERS[name])
    if name in SHELLS:
        return _shell(args)
    if name == "eval":
        return Unwrapped(scripts=(" ".join(args),)) if args else None
    if name in ("source", "."):
        return _script_file(args[0]) if args else None
    if name == "find":
        return _find(args)
    return None
