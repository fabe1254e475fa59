"""The frozen binary's entry point: the same ``main`` as the ``codetether`` console script."""

from codetether.cli.entry import main

if __name__ == "__main__":
    main()
