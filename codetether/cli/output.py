"""How the CLI talks to people: one-line errors and notices on stderr, colour only when welcome."""

import os
import sys

import click


def color_enabled(stream=None) -> bool:
    """No colour when NO_COLOR is set (https://no-color.org) or the stream is not a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def _emit(prefix: str, color: str, message: str) -> None:
    use_color = color_enabled()
    label = click.style(prefix, fg=color, bold=True) if use_color else prefix
    click.echo(f"{label} {message}", err=True, color=use_color)


def error(message: str) -> None:
    _emit("error:", "red", message)


def warn(message: str) -> None:
    _emit("warning:", "yellow", message)


def notice(message: str) -> None:
    _emit("note:", "cyan", message)


def configure_logging(debug: bool) -> None:
    """Send codetether's log records to stderr, every one passed through the secret redactor."""
    import logging

    from ..secrets.redaction import RedactingFilter

    handler = logging.StreamHandler()
    handler.set_name("codetether-stderr")  # so a second setup replaces it on the root logger, not doubles it
    handler.addFilter(RedactingFilter())  # on the handler, so records from every child logger pass it
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("codetether")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
    # Libraries' records (aiohttp's "Error handling request", asyncio's "Task exception was never
    # retrieved") carry tracebacks too; without a root handler Python prints them unfiltered.
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != handler.get_name()] + [handler]
