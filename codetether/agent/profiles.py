"""Agent profiles: named agents written as markdown files, front matter for settings and the body as prompt.

The format follows opencode's and Claude Code's agent files::

    ---
    name: reviewer
    description: Reviews a change without touching it
    model: anthropic/claude-sonnet-4-20250514
    tools: [read_file, grep, glob]
    access_mode: ask
    max_steps: 20
    ---
    You review code. Point at lines; never rewrite them.

They come from three places, a later one replacing an earlier one of the same name: the built-in
``build``, ``plan`` and ``explore`` agents shipped in this package, the user's ``agents/`` config
directory, and the project's ``.codetether/agents/``. A repository's agent file can choose a model,
tools and ``access_mode: full``, so the project's agents apply only when the user has trusted the
project; trust pins them with ``codetether.toml`` (``config.trust``). Otherwise they are ignored.

The front matter is read by a small strict parser (``key: value``, ``key: [a, b]`` and ``- item``
lists), not YAML: every key and tool name is checked, and each error names the file and line.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec

from ..config import trust
from ..errors import ConfigError, UsageError
from ..paths import config_dir, project_root
from ..security.permissions import AccessMode
from ..tools.registry import BUILTIN_TOOLS

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,47}")
_KEYS = ("name", "description", "model", "tools", "access_mode", "max_steps")


class AgentProfile(msgspec.Struct, kw_only=True, frozen=True):
    """One named agent: what it changes in the run's spec, and where it was defined."""

    name: str
    description: str = ""
    model: str | None = None  # provider/model; None: the run's model
    tools: list[str] | Literal["all"] = "all"  # built-in tool names; a list also leaves out plugins
    access_mode: AccessMode | None = None  # None: the run's access mode
    max_steps: int | None = None  # None: the run's step limit
    prompt: str = ""  # appended to the system prompt
    source: str = ""  # the file it came from ("built-in: plan.md" for the shipped ones)

    def changes(self, system_extra: str = "") -> dict[str, object]:
        """The AgentSpec fields this profile sets, given the spec's own ``system_extra``."""
        out: dict[str, object] = {}
        if self.model:
            out["model"] = self.model
        if self.tools != "all":
            out["tools"] = list(self.tools)
            out["plugins"] = False  # a plugin could write: a listed tool set is the whole tool set
        if self.access_mode is not None:
            out["access_mode"] = self.access_mode
        if self.max_steps is not None:
            out["max_steps"] = self.max_steps
        if self.prompt:
            out["system_extra"] = f"{system_extra}\n\n{self.prompt}" if system_extra else self.prompt
        return out


def _error(source: str, line: int, message: str, hint: str) -> ConfigError:
    return ConfigError(f"{source}:{line}: {message}", hint)


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _inline_list(text: str) -> list[str]:
    inner = text.strip()[1:-1]
    return [_scalar(item) for item in inner.split(",") if item.strip()]


def _front_matter(text: str, source: str) -> tuple[dict[str, tuple[int, str | list[str]]], str]:
    """(key -> (line, value)) and the body; a file without front matter is all body."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text.strip()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise _error(source, 1, "the front matter is not closed", "end it with a line holding only ---") from None
    values: dict[str, tuple[int, str | list[str]]] = {}
    key = ""
    for index in range(1, end):
        number, raw = index + 1, lines[index]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- "):
            current = values.get(key, (0, ""))[1]
            if not key or not isinstance(current, list):
                raise _error(source, number, "a list item outside a list", f"write it under `{key or 'tools'}:`")
            current.append(_scalar(stripped[2:]))
            continue
        name, colon, value = stripped.partition(":")
        name = name.strip()
        if not colon or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise _error(source, number, f"expected `key: value`, got {stripped!r}", "see docs/agents.md")
        name = name.replace("-", "_")
        if name not in _KEYS:
            raise _error(source, number, f"unknown key {name!r}", f"the keys are: {', '.join(_KEYS)}")
        if name in values:
            raise _error(source, number, f"{name!r} is set twice", "keep one")
        value = value.strip()
        key = name
        if not value:
            values[name] = (number, [])  # a `- item` list follows
        elif value.startswith("[") and value.endswith("]"):
            values[name] = (number, _inline_list(value))
        else:
            values[name] = (number, _scalar(value))
    return values, "\n".join(lines[end + 1 :]).strip()


def parse(text: str, source: str, default_name: str) -> AgentProfile:
    """One agent file's profile; ``default_name`` (the file's stem) names it unless ``name:`` does."""
    values, body = _front_matter(text, source)

    def text_of(key: str) -> tuple[int, str] | None:
        if key not in values:
            return None
        line, value = values[key]
        if isinstance(value, list):
            raise _error(source, line, f"{key!r} takes one value, not a list", f"write `{key}: value`")
        return line, value

    name = text_of("name") or (1, default_name)
    if not _NAME.fullmatch(name[1]):
        raise _error(source, name[0], f"invalid agent name {name[1]!r}", "use letters, digits, '-' and '_' (max 48)")
    fields: dict[str, object] = {"name": name[1], "prompt": body, "source": source}
    for key in ("description", "model"):
        if (found := text_of(key)) is not None:
            fields[key] = found[1]
    if (found := text_of("access_mode")) is not None:
        modes = [m.value for m in AccessMode]
        if found[1] not in modes:
            raise _error(source, found[0], f"unknown access_mode {found[1]!r}", f"use one of: {', '.join(modes)}")
        fields["access_mode"] = AccessMode(found[1])
    if (found := text_of("max_steps")) is not None:
        if not found[1].isdigit() or int(found[1]) < 1:
            raise _error(source, found[0], f"max_steps must be a positive whole number, not {found[1]!r}", "e.g. 20")
        fields["max_steps"] = int(found[1])
    if "tools" in values:
        fields["tools"] = _tools(source, *values["tools"])
    return AgentProfile(**fields)  # type: ignore[arg-type]


def _tools(source: str, line: int, value: str | list[str]) -> list[str] | Literal["all"]:
    if value == "all":
        return "all"
    names = value if isinstance(value, list) else [_scalar(v) for v in value.split(",") if v.strip()]
    for name in names:
        if name not in BUILTIN_TOOLS:
            raise _error(
                source, line, f"unknown tool {name!r}", f"built-in tools: {', '.join(BUILTIN_TOOLS)}, or `all`"
            )
    return list(dict.fromkeys(names))


def load_file(path: Path) -> AgentProfile:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the agent file {path}: {exc}", "fix or remove it") from exc
    return parse(text, str(path), path.stem)


def builtin_profiles() -> list[AgentProfile]:
    """``build``, ``plan`` and ``explore``, shipped as package data (they load from a zipapp too)."""
    folder = resources.files("codetether.agent").joinpath("agents")
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".md")), key=lambda e: e.name)
    return [parse(e.read_text("utf-8"), f"built-in: {e.name}", e.name.removesuffix(".md")) for e in entries]


def _directory(path: Path) -> list[AgentProfile]:
    return [load_file(p) for p in sorted(path.glob("*.md")) if p.is_file()] if path.is_dir() else []


@dataclass
class AgentCatalog:
    """The agents a run in one project can use, by name, and the project agents left out as untrusted."""

    agents: dict[str, AgentProfile]
    ignored: list[Path] = field(default_factory=list)  # the untrusted project's agent files

    def get(self, name: str) -> AgentProfile:
        profile = self.agents.get(name)
        if profile is not None:
            return profile
        hint = f"known agents: {', '.join(sorted(self.agents))}"
        if any(p.stem == name for p in self.ignored):
            hint += "; the project's agent of that name is ignored until you trust the project"
            hint += " (`codetether config project trust`)"
        raise UsageError(f"unknown agent {name!r}", hint)

    def summary(self) -> str:
        """One line per agent, for a planner's prompt."""
        return "\n".join(f"- {p.name}: {p.description or 'no description'}" for p in self.agents.values())


def load_catalog(project: Path, notice: Callable[[str], None] | None = None) -> AgentCatalog:
    """Built-in < user config dir < the trusted project's ``.codetether/agents/`` (see the module docstring)."""
    root = project_root(project)
    layers: list[Iterable[AgentProfile]] = [builtin_profiles(), _directory(config_dir() / "agents")]
    ignored: list[Path] = []
    if trust.agent_files(root):
        state = trust.state(root)
        if state is trust.TrustState.TRUSTED:
            layers.append(_directory(root / trust.AGENTS_DIR))
        else:
            ignored = trust.agent_files(root)
            if notice is not None:
                first = "add a codetether.toml (it may be empty), " if state is trust.TrustState.ABSENT else ""
                notice(
                    f"ignoring {len(ignored)} agent file(s) in {root / trust.AGENTS_DIR}: the project is not trusted "
                    f"({first}review them, then `codetether config project trust`)"
                )
    agents: dict[str, AgentProfile] = {}
    for layer in layers:
        for profile in layer:
            agents[profile.name] = profile
    return AgentCatalog(agents, ignored)
