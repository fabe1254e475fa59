"""Runs the click group and turns every failure into one line on stderr and an exit code."""

import os
import sys
import traceback

import click

from ..errors import CodetetherError
from . import output

EXIT_INTERNAL = 70  # EX_SOFTWARE


def _debug_requested(args: list[str]) -> bool:
    value = os.environ.get("CODETETHER_DEBUG", "").strip().lower()
    return "--debug" in args or value in {"1", "true", "yes", "on"}


def _crash_reporting_enabled() -> bool:
    try:
        from ..config import load_config

        return load_config().config.telemetry.crash_reporting
    except Exception:
        return False


def _print_traceback(exc: BaseException) -> None:
    """The --debug traceback, masked: every exception in the chain repeats its own text."""
    from ..secrets.redaction import redact

    sys.stderr.write(redact("".join(traceback.format_exception(exc))))


def _internal_error(exc: Exception, debug: bool) -> int:
    from ..secrets.redaction import redact

    if debug:
        _print_traceback(exc)
    output.error(f"internal error: {type(exc).__name__}: {redact(str(exc))[:300]}")
    if _crash_reporting_enabled():
        from ..telemetry.crash import write_report

        try:
            path = write_report(exc)
            output.notice(f"a redacted crash report was saved to {path}")
        except OSError as write_failure:
            output.warn(f"could not save a crash report: {write_failure}")
    elif not debug:
        output.notice(
            "rerun with --debug for the traceback; `codetether config --set telemetry.crash_reporting=true` "
            "saves a redacted report"
        )
    return EXIT_INTERNAL


def run(args: list[str]) -> int:
    from .group import cli

    debug = _debug_requested(args)
    try:
        result = cli.main(args=args, prog_name="codetether", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        output.error("aborted")
        return 130
    except CodetetherError as exc:
        from ..secrets.redaction import redact

        if debug:
            _print_traceback(exc)
        output.error(redact(str(exc)))
        return exc.exit_code
    except KeyboardInterrupt:
        output.error("interrupted")
        return 130
    except Exception as exc:
        return _internal_error(exc, debug)
