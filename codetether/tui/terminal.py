"""The terminal's quirks the TUI works around: Enter and Ctrl+J both arrive as "enter" through urwid."""

import sys

try:
    import termios
except ImportError:  # Windows: no tty line discipline to adjust
    termios = None  # type: ignore[assignment]


def line_feeds(keys: list, raw: list) -> list:
    """Tell Ctrl+J (LF, 10) from Enter (CR, 13): urwid reports both as "enter"; the raw bytes keep them apart."""
    if "enter" not in keys or 10 not in raw or tty_maps_cr_to_lf():
        return keys  # with ICRNL on (after a Ctrl+Z and fg, say) Enter arrives as LF too: it must still send
    kinds = iter(["ctrl j" if code == 10 else "enter" for code in raw if code in (10, 13)])
    return [next(kinds, key) if key == "enter" else key for key in keys]


def tty_maps_cr_to_lf() -> bool:
    if termios is None:
        return False
    try:
        return bool(termios.tcgetattr(sys.stdin.fileno())[0] & termios.ICRNL)
    except (termios.error, OSError, ValueError):
        return False


def separate_enter_from_ctrl_j() -> None:
    """Stop the tty turning CR into LF (ICRNL), so Enter (CR) and Ctrl+J (LF) stay different keys.

    urwid's cbreak mode leaves ICRNL on; its stop() restores the settings it saved at start.
    """
    if termios is None:
        return
    try:
        fd = sys.stdin.fileno()
        attributes = termios.tcgetattr(fd)
        attributes[0] &= ~termios.ICRNL
        termios.tcsetattr(fd, termios.TCSANOW, attributes)
    except (termios.error, OSError, ValueError):  # not a tty (a test screen): nothing to separate
        pass
