"""The console-script entry point, kept tiny: ``--version`` answers before click is imported."""

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["--version"], ["-V"]):
        from .._version import __version__

        sys.stdout.write(f"codetether {__version__}\n")
        raise SystemExit(0)
    from .app import run

    raise SystemExit(run(args))
