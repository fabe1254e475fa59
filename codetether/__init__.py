"""CodeTether: an AI coding agent with first-class Agent-to-Agent support.

Importing this package must stay cheap and free of side effects: the CLI's ``--version``
fast path imports it before anything else.
"""

from ._version import __version__

__all__ = ["__version__"]
