"""The terminal UI (urwid). ``app`` wires the screens and keys; every view is a bus subscriber.

Nothing here is imported by ``codetether --help``/``--version``: urwid loads only when the TUI starts.
"""
