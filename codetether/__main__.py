"""``python -m codetether`` runs the CLI."""

from codetether.cli.entry import main

if __name__ == "__main__":
    main()
