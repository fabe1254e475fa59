"""Themes: one palette per name in ``[ui] theme``, reduced to 16 colours or none (``NO_COLOR``) on demand.

Every entry names a 16-colour pair and a 256-colour pair, so the same theme works in a bare
16-colour terminal (the 16-colour pair is what urwid draws there) and in a richer one.
"""

from collections.abc import Mapping

# name -> {entry: (fg16, bg16, fg256, bg256)}; "" is the terminal's default.
_Pair = tuple[str, str, str, str]

_MARKETING: dict[str, _Pair] = {
    "body": ("light gray", "black", "g85", "g7"),
    "accent": ("light cyan", "black", "#0df", "g7"),
    "dim": ("dark gray", "black", "g50", "g7"),
    "user": ("light cyan,bold", "black", "#0df,bold", "g7"),
    "heading": ("light cyan,bold", "black", "#0df,bold", "g7"),
    "bold": ("white,bold", "black", "g93,bold", "g7"),
    "code": ("light gray", "black", "g85", "g11"),
    "code_kw": ("light magenta", "black", "#d8f", "g11"),
    "code_str": ("light green", "black", "#8d8", "g11"),
    "code_com": ("dark gray", "black", "g50", "g11"),
    "code_num": ("yellow", "black", "#fd6", "g11"),
    "code_fn": ("light cyan", "black", "#6df", "g11"),
    "tool": ("dark cyan", "black", "#08a", "g7"),
    "tool_ok": ("light green", "black", "#6d6", "g7"),
    "tool_err": ("light red", "black", "#f66", "g7"),
    "diff_add": ("light green", "black", "#6d6", "g7"),
    "diff_del": ("light red", "black", "#f66", "g7"),
    "diff_hunk": ("light cyan", "black", "#0df", "g7"),
    "status": ("black", "dark cyan", "g7", "#0ad"),
    "status_busy": ("black", "yellow", "g7", "#fd6"),
    "input": ("white", "black", "g93", "g11"),
    "dialog": ("white", "dark blue", "g93", "#123"),
    "selected": ("black", "light cyan", "g7", "#0df"),
    "sidebar": ("light gray", "black", "g70", "g11"),
    "error": ("light red,bold", "black", "#f66,bold", "g7"),
}

_DARK: dict[str, _Pair] = {
    **_MARKETING,
    "accent": ("light blue", "black", "#8af", "g7"),
    "user": ("light blue,bold", "black", "#8af,bold", "g7"),
    "heading": ("white,bold", "black", "g93,bold", "g7"),
    "status": ("white", "dark gray", "g93", "g23"),
    "selected": ("black", "light gray", "g7", "g70"),
    "diff_hunk": ("light blue", "black", "#8af", "g7"),
}

_LIGHT: dict[str, _Pair] = {
    "body": ("black", "white", "g11", "g93"),
    "accent": ("dark blue", "white", "#06a", "g93"),
    "dim": ("dark gray", "white", "g50", "g93"),
    "user": ("dark blue,bold", "white", "#06a,bold", "g93"),
    "heading": ("dark blue,bold", "white", "#06a,bold", "g93"),
    "bold": ("black,bold", "white", "g7,bold", "g93"),
    "code": ("black", "light gray", "g11", "g85"),
    "code_kw": ("dark magenta", "light gray", "#808", "g85"),
    "code_str": ("dark green", "light gray", "#060", "g85"),
    "code_com": ("dark gray", "light gray", "g50", "g85"),
    "code_num": ("brown", "light gray", "#850", "g85"),
    "code_fn": ("dark blue", "light gray", "#06a", "g85"),
    "tool": ("dark cyan", "white", "#068", "g93"),
    "tool_ok": ("dark green", "white", "#060", "g93"),
    "tool_err": ("dark red", "white", "#a00", "g93"),
    "diff_add": ("dark green", "white", "#060", "g93"),
    "diff_del": ("dark red", "white", "#a00", "g93"),
    "diff_hunk": ("dark blue", "white", "#06a", "g93"),
    "status": ("white", "dark blue", "g93", "#06a"),
    "status_busy": ("black", "yellow", "g7", "#fd6"),
    "input": ("black", "light gray", "g7", "g85"),
    "dialog": ("black", "light gray", "g7", "g85"),
    "selected": ("white", "dark blue", "g93", "#06a"),
    "sidebar": ("black", "light gray", "g19", "g85"),
    "error": ("dark red,bold", "white", "#a00,bold", "g93"),
}


def _solarized(base_fg: str, base_bg: str, fg16: str, bg16: str, dark: bool) -> dict[str, _Pair]:
    """Solarized's accents on its dark (base03) or light (base3) background."""
    hi = "#eee" if dark else "#333"
    code_bg = "#033" if dark else "#eed"
    return {
        "body": (fg16, bg16, base_fg, base_bg),
        "accent": ("dark cyan", bg16, "#2aa", base_bg),
        "dim": ("dark gray", bg16, "#688" if dark else "#9aa", base_bg),
        "user": ("dark blue,bold", bg16, "#28d,bold", base_bg),
        "heading": ("dark cyan,bold", bg16, "#2aa,bold", base_bg),
        "bold": (f"{fg16},bold", bg16, f"{hi},bold", base_bg),
        "code": (fg16, bg16, base_fg, code_bg),
        "code_kw": ("dark green", bg16, "#880", code_bg),
        "code_str": ("dark cyan", bg16, "#2aa", code_bg),
        "code_com": ("dark gray", bg16, "#688", code_bg),
        "code_num": ("dark magenta", bg16, "#d38", code_bg),
        "code_fn": ("dark blue", bg16, "#28d", code_bg),
        "tool": ("dark blue", bg16, "#28d", base_bg),
        "tool_ok": ("dark green", bg16, "#880", base_bg),
        "tool_err": ("dark red", bg16, "#d33", base_bg),
        "diff_add": ("dark green", bg16, "#880", base_bg),
        "diff_del": ("dark red", bg16, "#d33", base_bg),
        "diff_hunk": ("dark cyan", bg16, "#2aa", base_bg),
        "status": (bg16, "dark cyan", base_bg, "#2aa"),
        "status_busy": (bg16, "brown", base_bg, "#b80"),
        "input": (fg16, bg16, base_fg, code_bg),
        "dialog": (fg16, bg16, base_fg, code_bg),
        "selected": (bg16, "dark blue", base_bg, "#28d"),
        "sidebar": (fg16, bg16, base_fg, code_bg),
        "error": ("dark red,bold", bg16, "#d33,bold", base_bg),
    }


THEMES: dict[str, dict[str, _Pair]] = {
    "marketing": _MARKETING,
    "dark": _DARK,
    "light": _LIGHT,
    "solarized-dark": _solarized("#899", "#023", "light gray", "black", True),
    "solarized-light": _solarized("#677", "#ffe", "black", "white", False),
}
ALIASES = {"default": "marketing"}


def resolve(name: str, environ: Mapping[str, str]) -> str:
    """The theme a config value means: ``auto`` picks light on a light terminal (COLORFGBG), else marketing."""
    if name == "auto":
        background = environ.get("COLORFGBG", "").rpartition(";")[2]
        return "light" if background in ("7", "15") else "marketing"
    return ALIASES.get(name, name) if ALIASES.get(name, name) in THEMES else "marketing"


def palette(name: str) -> list[tuple[str, str, str, str, str, str]]:
    """urwid palette entries (name, fg16, bg16, mono, fg256, bg256) for theme ``name``."""
    entries = THEMES[name]
    rows = []
    for entry, (fg16, bg16, fg256, bg256) in entries.items():
        mono = "bold" if "bold" in fg16 else "standout" if entry in ("selected", "status", "status_busy") else ""
        rows.append((entry, fg16, bg16, mono, fg256, bg256))
    return rows


def colors(environ: Mapping[str, str]) -> int:
    """How many colours to draw with: 1 under NO_COLOR (https://no-color.org), 256 where the terminal says so."""
    if environ.get("NO_COLOR"):
        return 1
    term = environ.get("TERM", "")
    if term in ("dumb", "linux", "vt100") or "16color" in term:
        return 16
    if "256" in term or environ.get("COLORTERM") in ("truecolor", "24bit"):
        return 256
    return 16
