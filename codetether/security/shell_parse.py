"""What a shell command line really runs: its simple commands and the files it writes, from a real bash grammar.

Permission rules are about commands, not strings: ``git  push``, ``env git push``, ``bash -c 'git push'``,
``{ git push; }`` and ``echo $(git push)`` all run ``git push``. Like Codex's command-safety check, this parses
the line with tree-sitter-bash and walks every simple command in it — through pipelines, lists, subshells,
compound commands, function bodies, substitutions, ``bash -c`` strings, ``eval`` and wrappers (see
shell_wrappers) — and every output redirection. Text only known at run time (a variable, a glob, a substitution's
output) becomes ``DYNAMIC`` so the policy can treat it as "could be anything"; what cannot be followed at all (a
syntax error, a script piped into a shell) is listed in ``unknown``. The grammar is imported on first use: the CLI
must start without it.
"""

import functools
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from .shell_wrappers import DYNAMIC, unwrap

__all__ = ["DYNAMIC", "Layer", "ShellAnalysis", "SimpleCommand", "analyze"]

_MAX_DEPTH = 8  # bash -c "bash -c '...'" nesting we follow before giving up
_BRACE_EXPANSION = re.compile(r"\{[^{}]*(,|\.\.)[^{}]*\}")
_EXPANDING = frozenset(
    {"simple_expansion", "expansion", "command_substitution", "process_substitution", "arithmetic_expansion"}
)
_STATEMENT_LIKE = frozenset({"declaration_command", "unset_command"})
_DIRECTORY_CHANGERS = frozenset({"cd", "pushd", "popd"})
_WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&"})
# A reserved word in command position means the grammar misread the structure (it reads
# `! { find -exec x \;; }` as a command named `{`), so what that part runs is not known.
_RESERVED = frozenset(
    {"{", "}", "!", "[[", "]]", "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while"}
    | {"until", "do", "done", "in", "function"}
)


@dataclass(frozen=True, slots=True)
class Layer:
    """One command as rules see it: its words, unquoted, joined by single spaces."""

    text: str
    transparent: bool  # it runs the next layer unchanged, so a rule allowing that one is enough


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    """A command and the commands it wraps, outermost first (``sudo -u x git push`` -> ``git push``)."""

    layers: tuple[Layer, ...]
    delegated: bool = False  # the innermost layer runs command strings, analysed as commands of their own


@dataclass(slots=True)
class ShellAnalysis:
    commands: list[SimpleCommand] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # output redirection targets
    unknown: list[str] = field(default_factory=list)  # why parts of the line cannot be followed
    changes_directory: bool = False  # cd/pushd/popd: relative targets are not relative to the cwd


_parse_lock = threading.Lock()  # a tree-sitter Parser is not safe to share between threads


@functools.cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def analyze(command: str) -> ShellAnalysis:
    """Every simple command ``command`` runs, the files it redirects output to, and what could not be followed."""
    result = ShellAnalysis()
    _parse(command, result, 0)
    return result


def _parse(command: str, result: ShellAnalysis, depth: int) -> None:
    if depth > _MAX_DEPTH:
        result.unknown.append("commands nested too deeply")
        return
    if DYNAMIC in command:
        result.unknown.append("a command string built while the command runs")
        return
    try:
        parser = _parser()
    except ImportError as exc:
        result.unknown.append(f"the bash grammar is not installed ({exc.name})")
        return
    source = command.encode()
    with _parse_lock:
        tree = parser.parse(source)
    if tree.root_node.has_error:
        # Still walked: what it did recognise can be denied; nothing in it can be allowed.
        result.unknown.append("bash syntax that cannot be parsed")
    try:
        _Walk(source, result, depth).visit(tree.root_node)
    except RecursionError:
        result.unknown.append("commands nested too deeply")


class _Walk:
    def __init__(self, source: bytes, result: ShellAnalysis, depth: int) -> None:
        self.source = source
        self.result = result
        self.depth = depth

    def text(self, node: Any) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def visit(self, node: Any) -> None:
        kind = node.type
        if kind == "command":
            self.command(node)
            return
        if kind == "file_redirect":
            self.redirect(node)
        elif kind in ("heredoc_body", "heredoc_content") and not node.children and _expanding_heredoc(node):
            if "`" in self.text(node) or "$(" in self.text(node):  # the grammar leaves backquotes here as text
                self.result.unknown.append("a here-document with a command substitution")
        elif kind in _STATEMENT_LIKE or (kind == "variable_assignment" and _statement_level(node)):
            # export, unset, x=1: they change what later commands see, so they need rules like commands do
            self.result.commands.append(SimpleCommand((Layer(" ".join(self.text(node).split()), False),)))
        for child in node.children:
            self.visit(child)

    def command(self, node: Any) -> None:
        assignments: list[str] = []
        words: list[str] = []
        for i, child in enumerate(node.children):
            role = node.field_name_for_child(i)
            if child.type == "variable_assignment":
                assignments.append(self.assignment(child))
                for part in child.children:  # its value's substitutions; the assignment belongs to the command
                    self.visit(part)
                continue
            if role == "name":
                words.append(self.word(child.children[0]) if child.children else self.text(child))
            elif role == "argument":
                words.append(self.word(child))
            self.visit(child)
        if words and words[0] in _RESERVED:
            self.result.unknown.append(f"bash syntax read as a command named {words[0]!r}")
        if words:
            self.record(words, assignments)
        elif assignments:
            self.result.commands.append(SimpleCommand((Layer(" ".join(assignments), False),)))

    def assignment(self, node: Any) -> str:
        value = node.child_by_field_name("value")
        if value is None:
            return self.text(node)
        return self.source[node.start_byte : value.start_byte].decode("utf-8", "replace") + self.word(value)

    def record(self, words: list[str], assignments: list[str]) -> None:
        """Add a simple command, following the wrappers, shells and ``eval`` strings it runs."""
        layers: list[Layer] = []
        if assignments:  # FOO=1 cmd: another environment, so a rule for cmd alone does not cover it
            layers.append(Layer(" ".join([*assignments, *words]), transparent=False))
        delegated = False
        current: list[str] | None = words
        while current:
            wrapped = unwrap(current) if DYNAMIC not in current[0] else None
            layers.append(Layer(" ".join(current), transparent=wrapped is not None and wrapped.transparent))
            if current[0].rsplit("/", 1)[-1] in _DIRECTORY_CHANGERS:
                self.result.changes_directory = True
            if wrapped is None:
                break
            if wrapped.unknown:
                self.result.unknown.append(wrapped.unknown)
            for script in wrapped.scripts:
                delegated = True
                _parse(script, self.result, self.depth + 1)
            for other in wrapped.also_runs:
                self.record(other, [])
            current = wrapped.inner
        self.result.commands.append(SimpleCommand(tuple(layers), delegated))

    def redirect(self, node: Any) -> None:
        op, destination = "", None
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) == "destination":
                destination = child
            elif not child.is_named:
                op = child.type
        if op not in _WRITE_OPS:
            return
        if op == ">&" and (destination is None or destination.type == "number" or self.text(destination) == "-"):
            return  # duplicates or closes a descriptor; writes no file
        self.result.writes.append(self.word(destination) if destination is not None else DYNAMIC)

    def word(self, node: Any) -> str:
        """A word as bash would pass it after quote removal, with DYNAMIC for what expands at run time."""
        kind, text = node.type, self.text(node)
        if kind == "word":
            word = _unquoted(text)
            if word is None:  # seen for "true\n\\env x": the grammar glued two commands into one word
                self.result.unknown.append("bash syntax read as a word with a blank in it")
                return DYNAMIC
            return word
        if kind == "number":
            return text
        if kind == "raw_string":
            return text[1:-1]
        if kind == "ansi_c_string":
            return _ansi_c(text[2:-1])
        if kind in ("string", "translated_string"):
            return self.double_quoted(node)
        if kind == "concatenation":
            if _BRACE_EXPANSION.search(text) and any(c.type == "word" for c in node.children):
                return DYNAMIC
            return "".join(self.word(child) for child in node.children)
        return DYNAMIC  # expansions, substitutions, arrays: only known at run time

    def double_quoted(self, node: Any) -> str:
        start = node.start_byte + (2 if self.source[node.start_byte] == ord("$") else 1)
        parts = []
        for child in node.named_children:
            if child.type in _EXPANDING:
                parts.append(_unescape_double(self.source[start : child.start_byte].decode("utf-8", "replace")))
                parts.append(DYNAMIC)
                start = child.end_byte
        parts.append(_unescape_double(self.source[start : node.end_byte - 1].decode("utf-8", "replace")))
        return "".join(parts)


def _unquoted(text: str) -> str | None:
    """Backslash removal for an unquoted word; a glob or brace expansion makes the whole word DYNAMIC.

    None: the word holds an unescaped blank, which no real word does."""
    if _BRACE_EXPANSION.search(text):
        return DYNAMIC
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            out.append("" if text[i + 1 : i + 2] == "\n" else text[i + 1 : i + 2])
            i += 2
            continue
        if char in " \t\n":
            return None
        if char in "*?" or (char == "[" and "]" in text[i + 1 :]):
            return DYNAMIC  # pathname expansion: which files match is only known at run time
        out.append(char)
        i += 1
    return "".join(out)


_ANSI_C = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.|.)", re.DOTALL)
_ANSI_C_SIMPLE = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ANSI_C_SIMPLE |= {"v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def _ansi_c(body: str) -> str:
    """The text of ``$'...'`` (``$'\\x67it'`` is ``git``), decoded as bash does."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xuU":
            return chr(min(int(code[1:], 16), 0x10FFFF))
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        if code[0] == "c" and len(code) == 2:
            return chr(ord(code[1].upper()) ^ 0x40)
        return _ANSI_C_SIMPLE.get(code, "\\" + code)  # bash keeps unknown escapes as they are

    return _ANSI_C.sub(one, body)


def _unescape_double(text: str) -> str:
    return re.sub(r"\\([$`\"\\\n])", lambda m: "" if m.group(1) == "\n" else m.group(1), text)


def _expanding_heredoc(node: Any) -> bool:
    """A here-document whose delimiter is unquoted: bash expands substitutions in its body."""
    while node is not None and node.type != "heredoc_redirect":
        node = node.parent
    start = next((c for c in node.children if c.type == "heredoc_start"), None) if node is not None else None
    return start is not None and not any(q in (start.text or b"") for q in (b"'", b'"', b"\\"))


def _statement_level(node: Any) -> bool:
    parent = node.parent
    return parent is not None and parent.type not in ("command", "declaration_command")
