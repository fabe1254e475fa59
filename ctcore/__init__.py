"""Native hot paths for CodeTether, each a Cython module with a pure-Python twin.

Every module here is a triad: ``x.py`` selects the implementation, ``_x_c.pyx`` is the
compiled one and ``_x_py.py`` the readable spec with the same API. The pure twin is used
when ``CODETETHER_NO_EXTENSIONS`` is set or the compiled module is not importable.
"""
