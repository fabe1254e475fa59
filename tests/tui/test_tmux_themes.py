"""Themes in a real terminal: colours as the terminal receives them (capture-pane -e), NO_COLOR,
16 colours, and a theme change in the config file applied while the TUI runs."""

import asyncio
import re

from .conftest import configure

STATUS = "fake/fake-large"
SGR = re.compile(r"\x1b\[([0-9;]*)m")


async def status_codes(term) -> set[str]:
    screen = await term.tmux("capture-pane", "-p", "-e", "-t", "t")
    line = next(line for line in reversed(screen.splitlines()) if STATUS in line)
    return {code for match in SGR.finditer(line) for code in match.group(1).split(";") if code}


def colours(codes: set[str]) -> set[str]:
    """The SGR codes that set a colour (39/49 only reset to the terminal's own)."""
    numbers = {int(c) for c in codes}
    return {str(n) for n in numbers if n in (38, 48) or 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 107}


async def test_no_color_draws_no_colours(llm, term, config_file):
    configure(config_file, llm)
    await term.start("tui", env={"NO_COLOR": "1", "TERM": "xterm-256color"})
    await term.wait_for(STATUS)
    codes = await status_codes(term)
    assert not colours(codes), codes
    assert "7" in codes  # the status line stands out in reverse video instead


async def test_sixteen_colours_use_only_the_basic_palette(llm, term, config_file):
    configure(config_file, llm)
    await term.start("tui", env={"TERM": "screen", "COLORTERM": ""})
    await term.wait_for(STATUS)
    codes = await status_codes(term)
    assert "46" in codes or "36" in codes, codes  # the marketing theme: cyan
    assert "5" not in codes and "38" not in codes and "48" not in codes, codes


async def test_theme_change_in_the_config_is_applied_live(llm, term, config_file):
    configure(config_file, llm, '\n[ui]\ntheme = "marketing"\n')
    await term.start("tui", env={"TERM": "screen", "COLORTERM": ""})
    await term.wait_for(STATUS)
    before = await status_codes(term)
    assert "46" in before, before  # black on dark cyan
    configure(config_file, llm, '\n[ui]\ntheme = "light"\n')
    await term.wait_for(STATUS)

    async def changed() -> bool:
        return "44" in await status_codes(term)  # white on dark blue

    for _ in range(1200):  # polls for up to ~60 s: the TUI checks the file every 0.5 s
        if await changed():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the theme did not change: {await status_codes(term)}")
