"""The single source of the package version (read by setuptools and by ``--version``)."""

__version__ = "0.1.0"
